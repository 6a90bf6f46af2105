#!/usr/bin/env bash
# ASan + UBSan run of the native kernels: builds fastaug with FASTAUG_SANITIZE=ON into a
# throwaway venv and runs the kernel and pipeline tests plus the fuzz corpus replay with the
# compiler's libasan preloaded (python itself is not instrumented). Any sanitizer finding
# or test failure fails the run. Subset (to stay within ~6 minutes on 2 cores: ~3 min build,
# ~40 s tests): the SIMD-level-parametrised tests run on the scalar level and the best level
# the CPU has, not every level between; file-reading and Keras-parity suites are left out.
#
#   .ci/sanitize.sh            # build dir and venv under a temp dir, removed afterwards
#   FASTAUG_SANITIZE_DIR=/x .ci/sanitize.sh   # keep them there (incremental rebuilds)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
python=${PYTHON:-python3}

if [[ -n "${FASTAUG_SANITIZE_DIR:-}" ]]; then
  work=$FASTAUG_SANITIZE_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi

[[ -x "$work/venv/bin/python" ]] || "$python" -m venv --system-site-packages "$work/venv"
# --no-build-isolation below: the build requirements must be in the venv itself.
"$work/venv/bin/pip" install -q "scikit-build-core>=0.10" "pybind11>=2.13"
echo "sanitize: building (ASan+UBSan) in $work/build"
"$work/venv/bin/pip" install -q --no-build-isolation --no-deps \
  -Cbuild-dir="$work/build" -Ccmake.define.FASTAUG_SANITIZE=ON "$root"

# libstdc++ is preloaded too: python does not link it, and ASan's __cxa_throw interceptor
# must find the real one at start-up (else the first C++ exception aborts the run).
libasan=$(${CXX:-g++} -print-file-name=libasan.so)
libstdcxx=$(${CXX:-g++} -print-file-name=libstdc++.so.6)
for lib in "$libasan" "$libstdcxx"; do
  [[ -f "$lib" ]] || { echo "sanitize: $lib not found" >&2; exit 2; }
done
if ! nm -D "$work/build/_core"*.so | grep __asan_init >/dev/null; then  # not -q: SIGPIPE + pipefail
  echo "sanitize: the extension was not built with ASan" >&2
  exit 2
fi

# Every allocation through malloc, so LSan can trace pointers held by Python objects.
export PYTHONMALLOC=malloc
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=86:strict_init_order=1:detect_stack_use_after_return=0:allocator_may_return_null=1"
# The suppressions name CPython/numpy/pybind11-registration allocations only, never kernels.
export LSAN_OPTIONS="suppressions=$root/.ci/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=87"
export PYTHONFAULTHANDLER=1
# pytest captures sys.stderr only (--capture=sys below): a sanitizer report written to fd 2
# just before the process exits would otherwise be lost with the captured output.

sanitized() { (cd "$work" && LD_PRELOAD="$libasan $libstdcxx" "$work/venv/bin/python" "$@"); }
run() { echo "sanitize: $*"; sanitized "$@"; }

# Test ids name the SIMD level; deselect the levels between scalar and the best one.
skip_levels=$(sanitized -c "import fastaug; a = fastaug.simd_info()['available']; print(' and '.join('not ' + x for x in a[1:-1]))")
# test_concurrency's RSS check is left out: ASan's quarantine holds freed memory on purpose.
# So is the fork-while-other-threads-allocate test (it runs in the main suite): GCC 12's
# libasan does not hold its allocator's locks across fork, so a child forked while another
# thread is inside ASan's malloc can wait forever on a lock inside the sanitizer runtime
# (seen: both child threads in SizeClassAllocator64::GetFromAllocator, about 1 run in 3).
run -m pytest -q -p no:cacheprovider -x --capture=sys \
  -k "${skip_levels:+$skip_levels and }not rss and not test_fork_while_other_threads_use_the_pool" \
  "$root/tests/test_flip.py" "$root/tests/test_photometric.py" "$root/tests/test_warp_affine.py" \
  "$root/tests/test_pipeline.py" "$root/tests/test_robustness.py" "$root/tests/test_concurrency.py" \
  "$root/tests/test_nonfinite.py"
run "$root/tests/fuzz/fuzz_core.py" --replay "$root/tests/fuzz/corpus"
echo "sanitize: clean"

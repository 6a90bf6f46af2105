#!/usr/bin/env bash
# Compile-only smoke of the kernels for Windows x64 with MinGW-w64 (Debian's
# g++-mingw-w64-x86-64-posix): every cpp/ unit, with its ISA flags, against Windows'
# headers and _WIN32 (no pthread_atfork, no sched_getaffinity). It is GCC, not MSVC: the
# MSVC flags in CMakeLists.txt and MSVC's own dialect are checked only by the cibuildwheel
# Windows job on a real runner. The bindings are not compiled (no Windows Python headers).
set -euo pipefail
cd "$(dirname "$0")/.."
CXX=x86_64-w64-mingw32-g++-posix
if ! command -v "$CXX" >/dev/null; then
  SUDO=(); [ "$(id -u)" = 0 ] || SUDO=(sudo)
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    g++-mingw-w64-x86-64-posix >/dev/null
fi
start=$(date +%s)
OUT=$(mktemp -d "${TMPDIR:-/tmp}/fastaug-mingw.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
compile() {  # one unit, to an object file (code generation checks the intrinsics' targets)
  local src=$1 flags=()
  case "$src" in
    *_sse4.cpp) flags=(-msse4.1 -mssse3) ;;
    *_avx2.cpp) flags=(-mavx2 -mfma -mbmi2 -mf16c) ;;
    *_avx512.cpp) flags=(-mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma -mbmi2 -mf16c) ;;
    *_neon.cpp) return 0 ;;  # aarch64 only
  esac
  "$CXX" -std=c++17 -O0 -Wall -Icpp -DFASTAUG_X86=1 -ffp-contract=off ${flags[@]+"${flags[@]}"} \
    -c "$src" -o "$OUT/$(echo "$src" | tr / _).o"
}
export -f compile
export CXX OUT
LOCK=()
command -v flock >/dev/null && LOCK=(flock /tmp/fastaug-build.lock)
find cpp -name "*.cpp" | sort | "${LOCK[@]}" xargs -P "$(nproc)" -I{} bash -c 'compile {}'
echo "windows-smoke.sh: $(ls "$OUT" | wc -l) kernel units compiled for x86_64-w64-mingw32 in $(( $(date +%s) - start ))s"

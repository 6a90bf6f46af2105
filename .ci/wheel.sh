#!/usr/bin/env bash
# Builds the x86-64 manylinux2014 wheel without docker, checks its policy, and tests it.
#
# The compiler is zig (PyPI `ziglang`) targeting glibc 2.17: it links against 2.17's symbol
# versions and links its own libc++ statically, so the module needs nothing newer than
# glibc 2.17 and no libstdc++ at all. auditwheel then only verifies and relabels the tag.
# The wheel is installed into a fresh venv (no system site-packages) with only the `test`
# extra, and the core tests run from outside the source tree against it.
#
#   bash .ci/wheel.sh            # wheel in dist/, tests against it
#   PYTHON=python3.12 bash .ci/wheel.sh
#
# Caches (zig's compiled libc++, pip's downloads) live under
# ${XDG_CACHE_HOME:-~/.cache}/fastaug-wheel; the build tree and venvs in a temp directory.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
PY=${PYTHON:-python3}
[ "$(uname -m)" = x86_64 ] || { echo "wheel.sh builds the x86-64 wheel; this is $(uname -m)" >&2; exit 2; }
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/fastaug-wheel
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fastaug-wheel.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$CACHE" dist
# The two-core CI machine is shared: one build at a time (flock where it exists).
LOCK=()
command -v flock >/dev/null && LOCK=(flock /tmp/fastaug-build.lock)

# Build tools, in their own venv, kept in the cache: zig's cache of its compiled libc++ is
# keyed on zig's own path, so a venv at a new path every run would rebuild it (minutes).
[ -x "$CACHE/tools/bin/pip" ] || "$PY" -m venv "$CACHE/tools"
TOOLS="$CACHE/tools/bin"
"$TOOLS/pip" install -q --cache-dir "$CACHE/pip" "ziglang>=0.13" "auditwheel>=6" "wheel>=0.40"

# CMake takes a compiler as one path: wrappers that pin zig's target (glibc 2.17). They run
# zig's binary itself: pip's isolated build environment hides the tools venv's packages
# from any Python started inside it.
ZIG=$("$TOOLS/python" -c 'import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))')
for tool in cc c++; do
  printf '#!/bin/sh\nexec "%s" %s -target x86_64-linux-gnu.2.17 "$@"\n' "$ZIG" "$tool" > "$WORK/zig-$tool"
  chmod +x "$WORK/zig-$tool"
done
export ZIG_GLOBAL_CACHE_DIR="$CACHE/zig" ZIG_LOCAL_CACHE_DIR="$WORK/zig-local"

rm -f dist/fastaug-*-linux_x86_64.whl dist/fastaug-*manylinux*x86_64.whl
start=$(date +%s)
# A version script keeps the statically linked libc++ and libc++abi (operator new, std::__1,
# the exception runtime) private to the module, so they never meet another library's
# libstdc++ in the same process (zig's linker has no --exclude-libs). A pattern, not a
# name: CMake's test programs link with it too and have no PyInit.
cat > "$WORK/exports.map" <<'EOF'
{
  global: PyInit_*;
  local: *;
};
EOF
CC="$WORK/zig-cc" CXX="$WORK/zig-c++" LDFLAGS="-Wl,--version-script=$WORK/exports.map" \
  "${LOCK[@]}" "$TOOLS/pip" wheel -q --no-deps \
  --cache-dir "$CACHE/pip" -w "$WORK/raw" -Cbuild-dir="$WORK/build" .
echo "wheel.sh: built in $(( $(date +%s) - start ))s"
raw=$(ls "$WORK"/raw/fastaug-*.whl)

# The policy the wheel actually satisfies (from the symbols it needs), not its file name.
show=$("$TOOLS/auditwheel" show "$raw")
echo "$show"
if ! grep -Eq '"(manylinux_2_17_x86_64|manylinux2014_x86_64)"' <<<"$show"; then
  echo "wheel.sh: $(basename "$raw") is not manylinux2014 (manylinux_2_17)" >&2
  exit 1
fi
# Self-contained: the module may need only glibc's own libraries (no C++ runtime, no
# libgcc_s), which every manylinux system has.
"$TOOLS/python" - "$raw" <<'PY'
import io, sys, zipfile
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
allowed = {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
           "ld-linux-x86-64.so.2"}
with zipfile.ZipFile(sys.argv[1]) as z:
    mods = [n for n in z.namelist() if n.startswith("fastaug/_core") and n.endswith(".so")]
    assert len(mods) == 1, mods
    elf = ELFFile(io.BytesIO(z.read(mods[0])))
needed = {t.needed for s in elf.iter_sections() if isinstance(s, DynamicSection)
          for t in s.iter_tags() if t.entry.d_tag == "DT_NEEDED"}
print(f"wheel.sh: {mods[0]} needs {sorted(needed)}")
if needed - allowed:
    sys.exit(f"wheel.sh: the module needs {sorted(needed - allowed)}: not self-contained")
# And it exports nothing but its init function (no C++ runtime symbols).
dynsym = elf.get_section_by_name(".dynsym")
exported = sorted(sym.name for sym in dynsym.iter_symbols()
                  if sym["st_shndx"] != "SHN_UNDEF" and sym.name
                  and sym["st_info"]["bind"] in ("STB_GLOBAL", "STB_WEAK"))
print(f"wheel.sh: the module exports {exported}")
if exported != ["PyInit__core"]:
    sys.exit("wheel.sh: the module exports more than PyInit__core")
PY
# Nothing to bundle or patch (auditwheel repair would only rename it): retag it.
"$TOOLS/python" -m wheel tags --remove --platform-tag manylinux_2_17_x86_64.manylinux2014_x86_64 "$raw" >/dev/null
wheel=$(ls "$WORK"/raw/fastaug-*manylinux*x86_64.whl)
# Read whole before matching: `grep -q` stops reading at the first match, and auditwheel
# then dies of the closed pipe, which pipefail reports as a failure.
retagged=$("$TOOLS/auditwheel" show "$wheel")
grep -q '"manylinux_2_17_x86_64"' <<<"$retagged" \
  || { echo "wheel.sh: the retagged wheel fails auditwheel show" >&2; exit 1; }
cp "$wheel" dist/
wheel=dist/$(basename "$wheel")
echo "wheel.sh: $wheel ($(du -k "$wheel" | cut -f1) KiB)"

# A fresh venv: the wheel and the `test` extra only (numpy comes from the wheel's metadata).
"$PY" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q --cache-dir "$CACHE/pip" "$wheel[test]"
cp -r tests docs "$WORK/"  # some tests read docs/ (their examples)
cd "$WORK"  # outside the source tree: `import fastaug` can only be the wheel
"$WORK/venv/bin/python" - <<'PY'
import fastaug, os
where = os.path.dirname(fastaug.__file__)
assert "site-packages" in where, f"fastaug imported from {where}, not the installed wheel"
flags = set()
with open("/proc/cpuinfo") as f:
    for line in f:
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
# What the flags imply, with the same requirements as cpp/core/simd_level.cpp (the kernel
# reports a flag only when the OS saves the state it needs).
levels = [("avx512", {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma", "bmi2", "f16c"}),
          ("avx2", {"avx2", "avx", "fma", "bmi2", "f16c"}),
          ("sse4", {"ssse3", "sse4_1"})]
expected = next((name for name, need in levels if need <= flags), "scalar")
info = fastaug.simd_info()
print(f"wheel.sh: fastaug from {where}; simd_info {info}; /proc/cpuinfo implies {expected}")
assert info["cpu"] == expected, (info, expected)
assert info["active"] == expected, info
PY
# The core tests: kernels, the fused pipeline, the augmentation facade (no integrations).
"$WORK/venv/bin/python" -m pytest -q -p no:cacheprovider tests/test_simd.py tests/test_flip.py \
  tests/test_warp_affine.py tests/test_photometric.py tests/test_levels_agree.py tests/test_pipeline.py \
  tests/test_random.py tests/test_augment.py tests/test_nonfinite.py tests/test_out_layout.py
echo "wheel.sh: ok in $(( $(date +%s) - start ))s"

#!/usr/bin/env bash
# Cross-builds the extension for aarch64 and runs tests on an emulated arm64 interpreter,
# at FASTAUG_SIMD=scalar and at FASTAUG_SIMD=neon.
#
# - Compiler: Debian's g++-aarch64-linux-gnu; emulator: qemu-user-static (installed with
#   apt-get if missing; needs root or sudo).
# - Root: Debian bookworm's arm64 python3.11 and the libraries it needs, resolved by apt
#   with a private state directory (the host's dpkg architectures and package lists are
#   left alone), fetched with `apt-get download` and unpacked with `dpkg-deb -x`.
# - numpy, scipy, Pillow and keras-preprocessing (the tests' references) come from PyPI's
#   manylinux aarch64 wheels, installed with `pip --platform`: Debian's python3-numpy is 1.24,
#   below fastaug's floor, and its python3-scipy pulls in a compiler toolchain (pythran).
#   pytest and hypothesis are pure Python.
# - Tests: test_simd, test_flip, test_warp_affine, test_photometric and test_levels_agree
#   (kernels; the last covers the colour and resize families, whose own tests need torch),
#   test_pipeline (the fused batch pass), test_augment (the facade). qemu is several times
#   slower than native, so the suite's other files (integrations, CLI, Keras parity) are
#   left to the native runs. Tests that spawn a Python subprocess are skipped under
#   emulation (marker `spawns_python`, tests/conftest.py); FASTAUG_SIMD is checked here in
#   fresh processes instead.
#
# Everything downloaded and the build tree are cached under
# ${XDG_CACHE_HOME:-~/.cache}/fastaug-arm64; a second run rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
start=$(date +%s)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/fastaug-arm64
PYV=3.11  # bookworm's python3
HOSTPY=${PYTHON:-$(command -v python$PYV || command -v python3)}
if [ "$("$HOSTPY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "$PYV" ]; then
  echo "arm64.sh: the host Python ($HOSTPY) must be $PYV, as the arm64 root's (set PYTHON)" >&2
  exit 2
fi
mkdir -p "$CACHE"
log() { echo "arm64.sh: $* ($(( $(date +%s) - start ))s)"; }

# ---------------------------------------------------------------- tools
need=()
command -v aarch64-linux-gnu-g++ >/dev/null || need+=(g++-aarch64-linux-gnu)
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
command -v dpkg-deb >/dev/null || need+=(dpkg)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=(); [ "$(id -u)" = 0 ] || SUDO=(sudo)
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi

# ---------------------------------------------------------------- the arm64 root
ROOT=$CACHE/root
if [ ! -e "$ROOT/.complete" ]; then
  A=$CACHE/apt
  mkdir -p "$A/state/lists/partial" "$A/cache/archives/partial" "$A/debs"
  : > "$A/state/status"  # nothing installed: resolve every dependency
  cat > "$A/sources.list" <<'EOF'
deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main
EOF
  APT=(-o "Dir::State=$A/state" -o "Dir::State::status=$A/state/status" -o "Dir::Cache=$A/cache"
       -o "Dir::Etc::sourcelist=$A/sources.list" -o "Dir::Etc::sourceparts=/nonexistent"
       -o "APT::Architecture=arm64" -o "APT::Architectures::=arm64" -o "Debug::NoLocking=1"
       -o "APT::Sandbox::User=$(id -un)")
  apt-get "${APT[@]}" -q update >/dev/null
  # The interpreter, its libraries, and the C++ runtime the module links; the headers
  # (libpython3.11-dev) alone, without the toolchain it depends on.
  pkgs=$(apt-get "${APT[@]}" install -s --no-install-recommends "python$PYV" libstdc++6 \
         | awk '/^Inst /{print $2}')
  (cd "$A/debs" && apt-get "${APT[@]}" -q download $pkgs "libpython$PYV-dev" >/dev/null)
  rm -rf "$ROOT" && mkdir -p "$ROOT"
  for deb in "$A"/debs/*.deb; do dpkg-deb -x "$deb" "$ROOT"; done
  touch "$ROOT/.complete"
  log "arm64 root assembled from $(ls "$A"/debs/*.deb | wc -l) Debian packages"
fi
# Debian's pyconfig.h includes <aarch64-linux-gnu/python3.11/pyconfig.h>: a directory that
# provides only that, so the root's libc headers never shadow the cross compiler's.
mkdir -p "$CACHE/pyinc/aarch64-linux-gnu"
ln -sfn "$ROOT/usr/include/aarch64-linux-gnu/python$PYV" "$CACHE/pyinc/aarch64-linux-gnu/python$PYV"

# Python packages: target wheels for the emulated interpreter, pybind11 for the host build.
SITE=$CACHE/site
REQS=("numpy>=1.25" "scipy>=1.16" "pillow>=9" "pytest>=7" "hypothesis>=6" "keras-preprocessing==1.1.2" six)
if [ "$(cat "$SITE/.complete" 2>/dev/null)" != "${REQS[*]}" ]; then  # reinstalled when the list changes
  rm -rf "$SITE"
  "$HOSTPY" -m pip install -q --target "$SITE" --only-binary=:all: --python-version "$PYV" \
    --implementation cp --abi "cp${PYV/./}" --platform manylinux2014_aarch64 \
    --platform manylinux_2_28_aarch64 "${REQS[@]}"
  echo "${REQS[*]}" > "$SITE/.complete"
fi
HOST=$CACHE/host
[ -e "$HOST/.complete" ] || { "$HOSTPY" -m pip install -q --target "$HOST" "pybind11>=2.13" && touch "$HOST/.complete"; }
log "tools, root and packages ready"

# ---------------------------------------------------------------- cross build
BUILD=$CACHE/build-$(echo "$SRC" | cksum | cut -d' ' -f1)  # one per checkout
cat > "$CACHE/aarch64.cmake" <<'EOF'
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
EOF
LOCK=()
command -v flock >/dev/null && LOCK=(flock /tmp/fastaug-build.lock)
GEN=(); command -v ninja >/dev/null && GEN=(-G Ninja)
cmake -S "$SRC" -B "$BUILD" ${GEN[@]+"${GEN[@]}"} -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$CACHE/aarch64.cmake" \
  -DPython_EXECUTABLE="$HOSTPY" -DPython_INCLUDE_DIR="$ROOT/usr/include/python$PYV" \
  -DCMAKE_CXX_FLAGS="-isystem $CACHE/pyinc" \
  -Dpybind11_DIR="$("$HOSTPY" -c "import sys; sys.path.insert(0, '$HOST'); import pybind11; print(pybind11.get_cmake_dir())")" \
  >/dev/null
# The compiler's output goes to a log, shown when the build fails.
"${LOCK[@]}" cmake --build "$BUILD" -j "$(nproc)" > "$BUILD/build.log" 2>&1 \
  || { tail -n 60 "$BUILD/build.log"; echo "arm64.sh: cross build failed ($BUILD/build.log)" >&2; exit 1; }
grep -qs "FASTAUG_NEON=1" "$BUILD/build.ninja" "$BUILD/CMakeFiles/fastaug_kernels.dir/flags.make" \
  || { echo "arm64.sh: the aarch64 build did not define FASTAUG_NEON" >&2; exit 1; }
# Every family's NEON unit is in (the module itself is stripped: look in the kernels archive).
defined=$(aarch64-linux-gnu-nm -C "$BUILD/libfastaug_kernels.a" | awk '$2 == "T" {print $3}')
for entry in warp_affine_kernel flip_horizontal_bytes adjust_brightness_kernel channel_shift_kernel \
             finish_image luma_sum resample_x_u8; do
  grep -q "^fastaug::neon::$entry(" <<<"$defined" \
    || { echo "arm64.sh: no fastaug::neon::$entry in the build" >&2; exit 1; }
done
log "cross-built"

# The package as a wheel lays it out: the Python sources and the module, named for the
# target interpreter.
STAGE=$BUILD/stage
rm -rf "$STAGE" && mkdir -p "$STAGE"
cp -r python/fastaug "$STAGE/fastaug"
find "$STAGE" -name "*.cpp" -o -name "*.hpp" -o -name __pycache__ | xargs rm -rf
module=$(find "$BUILD" -maxdepth 1 -name "_core*.so" | head -n 1)
cp "$module" "$STAGE/fastaug/_core.cpython-${PYV/./}-aarch64-linux-gnu.so"
file_out=$(od -An -tx1 -j18 -N2 "$module" | tr -d ' ')
[ "$file_out" = "b700" ] || { echo "arm64.sh: $module is not an aarch64 ELF (e_machine $file_out)" >&2; exit 1; }

# ---------------------------------------------------------------- tests under qemu
export QEMU_LD_PREFIX=$ROOT
PYARM=("qemu-aarch64-static" -L "$ROOT" "$ROOT/usr/bin/python$PYV")
export PYTHONPATH=$STAGE:$SITE PYTHONDONTWRITEBYTECODE=1 FASTAUG_EMULATED=qemu-aarch64
# The level in a fresh process at each setting (what test_simd's subprocess tests check).
for level in scalar neon; do
  got=$(FASTAUG_SIMD=$level "${PYARM[@]}" -c "import fastaug; i = fastaug.simd_info(); print(i['cpu'], i['active'], *i['available'])")
  [ "$got" = "neon $level scalar neon" ] || { echo "arm64.sh: FASTAUG_SIMD=$level gave '$got'" >&2; exit 1; }
done
if FASTAUG_SIMD=avx2 "${PYARM[@]}" -c "import fastaug" 2>/dev/null; then
  echo "arm64.sh: FASTAUG_SIMD=avx2 was accepted on aarch64" >&2; exit 1
fi
log "simd_info: cpu neon; FASTAUG_SIMD forces scalar and neon, rejects avx2"
TESTS=(tests/test_simd.py tests/test_flip.py tests/test_warp_affine.py tests/test_photometric.py
       tests/test_levels_agree.py tests/test_pipeline.py tests/test_augment.py)
for level in scalar neon; do
  # Each pass runs the kernel tests at its own level only (FASTAUG_TEST_LEVELS, conftest.py).
  FASTAUG_SIMD=$level FASTAUG_TEST_LEVELS=active "${PYARM[@]}" -m pytest -q -p no:cacheprovider -x "${TESTS[@]}"
  log "tests passed at FASTAUG_SIMD=$level"
done
log "ok"

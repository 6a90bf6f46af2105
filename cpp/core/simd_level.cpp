#include "core/simd_level.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>

#if defined(FASTAUG_X86)
#if defined(_MSC_VER)
#include <immintrin.h>
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

namespace fastaug {

X86Features x86_features_from_cpuid(const X86CpuidWords& w) {
  auto has = [](uint32_t word, int bit) { return ((word >> bit) & 1u) != 0; };
  X86Features f;
  if (w.max_leaf < 1) return f;
  const uint32_t c1 = w.leaf1_ecx;
  // CMake builds the sse4 units with -mssse3 -msse4.1.
  if (!(has(c1, 9) && has(c1, 19))) return f;
  f.level = SimdLevel::sse4;

  // AVX needs the OS to save the YMM state: XCR0 bits 1 (SSE) and 2 (AVX), read with
  // XGETBV, which exists only when CPUID reports OSXSAVE (leaf 1 ECX bit 27).
  const bool osxsave = has(c1, 27);
  const uint64_t xcr0 = osxsave ? w.xcr0 : 0;
  const bool os_ymm = (xcr0 & 0x6) == 0x6;
  // The avx2 units are built with -mavx2 -mfma -mbmi2 -mf16c: AVX (ECX 28), FMA (12),
  // F16C (29), and leaf 7 EBX bits 5 (AVX2) and 8 (BMI2).
  const uint32_t b7 = w.max_leaf >= 7 ? w.leaf7_ebx : 0;
  const uint32_t c7 = w.max_leaf >= 7 ? w.leaf7_ecx : 0;
  if (!(os_ymm && has(c1, 28) && has(c1, 12) && has(c1, 29) && has(b7, 5) && has(b7, 8)))
    return f;
  f.level = SimdLevel::avx2;

  // AVX-512 also needs the opmask and both ZMM halves saved: XCR0 bits 5, 6 and 7.
  const bool os_zmm = (xcr0 & 0xE0) == 0xE0;
  // -mavx512f -mavx512bw -mavx512dq -mavx512vl: EBX bits 16, 30, 17, 31.
  if (!(os_zmm && has(b7, 16) && has(b7, 30) && has(b7, 17) && has(b7, 31))) return f;
  f.level = SimdLevel::avx512;
  f.avx512vbmi = has(c7, 1);  // leaf 7 ECX bit 1
  return f;
}

namespace {

#if defined(FASTAUG_X86)
// The instructions themselves. __builtin_cpu_supports would do this on GCC, but it
// depends on libgcc's CPU model table, which other toolchains (zig's compiler-rt) do
// not fill in, and MSVC has no such builtin.
X86CpuidWords read_cpuid_words() {
  X86CpuidWords w;
#if defined(_MSC_VER)
  int r[4];
  __cpuid(r, 0);
  w.max_leaf = static_cast<uint32_t>(r[0]);
  if (w.max_leaf >= 1) {
    __cpuid(r, 1);
    w.leaf1_ecx = static_cast<uint32_t>(r[2]);
  }
  if (w.max_leaf >= 7) {
    __cpuidex(r, 7, 0);
    w.leaf7_ebx = static_cast<uint32_t>(r[1]);
    w.leaf7_ecx = static_cast<uint32_t>(r[2]);
  }
  if ((w.leaf1_ecx >> 27) & 1u) w.xcr0 = _xgetbv(0);
#else
  unsigned a = 0, b = 0, c = 0, d = 0;
  w.max_leaf = __get_cpuid_max(0, nullptr);
  if (w.max_leaf >= 1) {
    __cpuid(1, a, b, c, d);
    w.leaf1_ecx = c;
  }
  if (w.max_leaf >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    w.leaf7_ebx = b;
    w.leaf7_ecx = c;
  }
  if ((w.leaf1_ecx >> 27) & 1u) {
    // XGETBV by its encoding: the _xgetbv intrinsic needs -mxsave on GCC, and this file
    // is built for the baseline ISA.
    uint32_t lo = 0, hi = 0;
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
    w.xcr0 = (static_cast<uint64_t>(hi) << 32) | lo;
  }
#endif
  return w;
}

const X86Features& cpu_features() {
  static const X86Features f = x86_features_from_cpuid(read_cpuid_words());
  return f;
}
#endif

SimdLevel detect_cpu_level() {
#if defined(FASTAUG_X86)
  return cpu_features().level;
#elif defined(FASTAUG_NEON)
  // Advanced SIMD is part of the AArch64 baseline. (SVE, where present, is not used yet.)
  return SimdLevel::neon;
#else
  return SimdLevel::scalar;
#endif
}

SimdLevel initial_level() {
  // FASTAUG_SIMD is validated (with a clear error) by the Python module at import;
  // here an unusable value just leaves the best level in place.
  SimdLevel forced;
  const char* env = std::getenv("FASTAUG_SIMD");
  if (env && parse_simd_level(env, &forced) && simd_level_available(forced)) return forced;
  return detect_cpu_level();
}

std::atomic<int>& active_level_storage() {
  static std::atomic<int> level{static_cast<int>(initial_level())};
  return level;
}

}  // namespace

SimdLevel cpu_simd_level() {
  static const SimdLevel level = detect_cpu_level();
  return level;
}

bool simd_level_available(SimdLevel level) {
  const SimdLevel best = cpu_simd_level();
  if (level == SimdLevel::scalar) return true;
  if (level == SimdLevel::neon || best == SimdLevel::neon) return level == best;
  return level <= best;
}

SimdLevel active_simd_level() {
  return static_cast<SimdLevel>(active_level_storage().load(std::memory_order_relaxed));
}

bool cpu_has_avx512vbmi() {
#if defined(FASTAUG_X86)
  return cpu_features().avx512vbmi;
#else
  return false;
#endif
}

namespace {
std::atomic<bool>& avx512vbmi_wanted() {
  static std::atomic<bool> wanted{true};
  return wanted;
}
}  // namespace

bool avx512vbmi_enabled() {
  return cpu_has_avx512vbmi() && avx512vbmi_wanted().load(std::memory_order_relaxed);
}

bool set_avx512vbmi_enabled(bool enabled) {
  return avx512vbmi_wanted().exchange(enabled, std::memory_order_relaxed);
}

bool set_active_simd_level(SimdLevel level) {
  if (!simd_level_available(level)) return false;
  active_level_storage().store(static_cast<int>(level), std::memory_order_relaxed);
  return true;
}

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::avx512: return "avx512";
    case SimdLevel::avx2: return "avx2";
    case SimdLevel::sse4: return "sse4";
    case SimdLevel::neon: return "neon";
    default: return "scalar";
  }
}

bool parse_simd_level(const char* name, SimdLevel* level) {
  static const SimdLevel all[] = {SimdLevel::scalar, SimdLevel::sse4, SimdLevel::avx2,
                                  SimdLevel::avx512, SimdLevel::neon};
  for (SimdLevel l : all) {
    if (std::strcmp(name, simd_level_name(l)) == 0) {
      *level = l;
      return true;
    }
  }
  return false;
}

}  // namespace fastaug

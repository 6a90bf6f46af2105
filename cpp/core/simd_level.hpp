// Runtime SIMD dispatch: the level is chosen once at load from the CPU's features
// (or forced with FASTAUG_SIMD) and every kernel family dispatches on it.
#pragma once
#include <cstdint>

namespace fastaug {

// x86 levels are ordered (each includes the ones below it); neon is aarch64's only level.
enum class SimdLevel : int { scalar = 0, sse4 = 1, avx2 = 2, avx512 = 3, neon = 4 };

// Highest level this CPU and OS can run (checks CPUID and the OS's saved register state).
SimdLevel cpu_simd_level();
// Whether the kernels can run at `level` here (scalar always can).
bool simd_level_available(SimdLevel level);
// Level every kernel dispatches to now.
SimdLevel active_simd_level();
// Force a level (tests run every path on one machine). Returns false, changing nothing,
// if the CPU cannot run it.
bool set_active_simd_level(SimdLevel level);

// AVX512-VBMI (byte permutes across a whole zmm): an extra the avx512 kernels use, behind
// a per-function target attribute, where they have a byte-permute path for it.
bool cpu_has_avx512vbmi();
// Whether the avx512 kernels take their VBMI paths now: the CPU has it and it is not turned
// off. Tests turn it off to run, on a VBMI machine, the paths AVX-512 CPUs without it take
// (results are identical either way). set_avx512vbmi_enabled returns the previous setting.
bool avx512vbmi_enabled();
bool set_avx512vbmi_enabled(bool enabled);

const char* simd_level_name(SimdLevel level);
// Parses "scalar", "sse4", "avx2", "avx512" or "neon"; returns false for anything else.
bool parse_simd_level(const char* name, SimdLevel* level);

// The CPUID/XGETBV words x86 detection reads. Kept apart from the instructions so the
// decision can be tested with any CPU's answers (and compiled on every platform).
struct X86CpuidWords {
  uint32_t max_leaf = 0;   // CPUID leaf 0, EAX
  uint32_t leaf1_ecx = 0;  // CPUID leaf 1, ECX
  uint32_t leaf7_ebx = 0;  // CPUID leaf 7 subleaf 0, EBX (only meaningful if max_leaf >= 7)
  uint32_t leaf7_ecx = 0;  // CPUID leaf 7 subleaf 0, ECX
  uint64_t xcr0 = 0;       // XGETBV(0) (only meaningful if leaf 1 reports OSXSAVE)
};
struct X86Features {
  SimdLevel level = SimdLevel::scalar;
  bool avx512vbmi = false;
};
// Level (and the VBMI extra) the kernels may use given these answers: every instruction
// set the level's translation units are compiled for, and for AVX/AVX-512 the OS's
// promise (XCR0) to save the wider registers on a context switch.
X86Features x86_features_from_cpuid(const X86CpuidWords& w);

}  // namespace fastaug

// Calls ns::fn(args...) for the active level's namespace (scalar, sse4, avx2, avx512 on
// x86; scalar, neon on aarch64). Every kernel family defines its per-ISA entry points with
// identical signatures in those namespaces; other builds only have `scalar`.
#if defined(FASTAUG_X86)
#define FASTAUG_DISPATCH(fn, ...)                                      \
  do {                                                                 \
    switch (::fastaug::active_simd_level()) {                          \
      case ::fastaug::SimdLevel::avx512: return avx512::fn(__VA_ARGS__); \
      case ::fastaug::SimdLevel::avx2: return avx2::fn(__VA_ARGS__);     \
      case ::fastaug::SimdLevel::sse4: return sse4::fn(__VA_ARGS__);     \
      default: return scalar::fn(__VA_ARGS__);                         \
    }                                                                  \
  } while (0)
#elif defined(FASTAUG_NEON)
#define FASTAUG_DISPATCH(fn, ...)                                      \
  do {                                                                 \
    if (::fastaug::active_simd_level() == ::fastaug::SimdLevel::neon)  \
      return neon::fn(__VA_ARGS__);                                    \
    return scalar::fn(__VA_ARGS__);                                    \
  } while (0)
#else
#define FASTAUG_DISPATCH(fn, ...) return scalar::fn(__VA_ARGS__)
#endif

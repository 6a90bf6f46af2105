// Runtime SIMD dispatch: the level is chosen once at load from the CPU's features
// (or forced with FASTAUG_SIMD) and every kernel family dispatches on it.
#pragma once

namespace fastaug {

enum class SimdLevel : int { scalar = 0, sse4 = 1, avx2 = 2, avx512 = 3 };

// Highest level this CPU and OS can run (checks CPUID and the OS's saved register state).
SimdLevel cpu_simd_level();
// Level every kernel dispatches to now.
SimdLevel active_simd_level();
// Force a level (tests run every path on one machine). Returns false, changing nothing,
// if the CPU cannot run it.
bool set_active_simd_level(SimdLevel level);

// AVX512-VBMI (byte permutes across a whole zmm): an extra the avx512 kernels use, behind
// __attribute__((target)), where they have a byte-permute path for it.
bool cpu_has_avx512vbmi();
// Whether the avx512 kernels take their VBMI paths now: the CPU has it and it is not turned
// off. Tests turn it off to run, on a VBMI machine, the paths AVX-512 CPUs without it take
// (results are identical either way). set_avx512vbmi_enabled returns the previous setting.
bool avx512vbmi_enabled();
bool set_avx512vbmi_enabled(bool enabled);

const char* simd_level_name(SimdLevel level);
// Parses "scalar", "sse4", "avx2" or "avx512"; returns false for anything else.
bool parse_simd_level(const char* name, SimdLevel* level);

}  // namespace fastaug

// Calls ns::fn(args...) for the active level's namespace (scalar, sse4, avx2, avx512).
// Every kernel family defines its per-ISA entry points with identical signatures in
// those namespaces; builds without x86 variants only have `scalar`.
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
#else
#define FASTAUG_DISPATCH(fn, ...) return scalar::fn(__VA_ARGS__)
#endif

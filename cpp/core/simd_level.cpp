#include "core/simd_level.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace fastaug {
namespace {

SimdLevel detect_cpu_level() {
#if defined(FASTAUG_X86) && (defined(__GNUC__) || defined(__clang__))
  // libgcc's checks include the OS's XSAVE support for the YMM/ZMM state.
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("bmi2"))
    return SimdLevel::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("bmi2"))
    return SimdLevel::avx2;
  if (__builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("ssse3"))
    return SimdLevel::sse4;
#endif
  return SimdLevel::scalar;
}

SimdLevel initial_level() {
  // FASTAUG_SIMD is validated (with a clear error) by the Python module at import;
  // here an unusable value just leaves the best level in place.
  SimdLevel best = detect_cpu_level();
  SimdLevel forced;
  const char* env = std::getenv("FASTAUG_SIMD");
  if (env && parse_simd_level(env, &forced) && forced <= best) return forced;
  return best;
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

SimdLevel active_simd_level() {
  return static_cast<SimdLevel>(active_level_storage().load(std::memory_order_relaxed));
}

bool cpu_has_avx512vbmi() {
#if defined(FASTAUG_X86) && (defined(__GNUC__) || defined(__clang__))
  static const bool vbmi = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vbmi") != 0;
  }();
  return vbmi;
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
  if (level > cpu_simd_level()) return false;
  active_level_storage().store(static_cast<int>(level), std::memory_order_relaxed);
  return true;
}

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::avx512: return "avx512";
    case SimdLevel::avx2: return "avx2";
    case SimdLevel::sse4: return "sse4";
    default: return "scalar";
  }
}

bool parse_simd_level(const char* name, SimdLevel* level) {
  static const SimdLevel all[] = {SimdLevel::scalar, SimdLevel::sse4, SimdLevel::avx2,
                                  SimdLevel::avx512};
  for (SimdLevel l : all) {
    if (std::strcmp(name, simd_level_name(l)) == 0) {
      *level = l;
      return true;
    }
  }
  return false;
}

}  // namespace fastaug

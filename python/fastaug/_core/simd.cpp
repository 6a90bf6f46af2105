// SIMD level: what the CPU has, what the kernels use, and the testing hooks that force one.
#include <string>
#include <vector>

#include "common.hpp"
#include "core/simd_level.hpp"

namespace fastaug_bindings {

using namespace fastaug;

void register_simd(py::module_& m, py::module_& testing) {
  m.def("cpu_simd_level", [] { return std::string(simd_level_name(cpu_simd_level())); },
        "Best SIMD level this CPU supports.");
  m.def("active_simd_level", [] { return std::string(simd_level_name(active_simd_level())); },
        "SIMD level the kernels use now.");
  m.def(
      "available_simd_levels",
      [] {
        std::vector<std::string> names;
        for (SimdLevel l : {SimdLevel::scalar, SimdLevel::sse4, SimdLevel::avx2,
                            SimdLevel::avx512, SimdLevel::neon})
          if (simd_level_available(l)) names.emplace_back(simd_level_name(l));
        return names;
      },
      "Every SIMD level the kernels can run at here, lowest first.");
  testing.def(
      "set_simd_level",
      [](const std::string& name) {
        SimdLevel level;
        if (!parse_simd_level(name.c_str(), &level))
          fail_value("level must be one of 'scalar', 'sse4', 'avx2', 'avx512', 'neon', got '" +
                     name + "'");
        if (!set_active_simd_level(level))
          fail_value("level '" + name + "' is not supported by this CPU (best: " +
                     simd_level_name(cpu_simd_level()) + ")");
      },
      py::arg("level"), "Force the SIMD level for this process.");
  testing.def(
      "x86_level_from_cpuid",
      [](uint32_t max_leaf, uint32_t leaf1_ecx, uint32_t leaf7_ebx, uint32_t leaf7_ecx,
         uint64_t xcr0) {
        X86CpuidWords w;
        w.max_leaf = max_leaf;
        w.leaf1_ecx = leaf1_ecx;
        w.leaf7_ebx = leaf7_ebx;
        w.leaf7_ecx = leaf7_ecx;
        w.xcr0 = xcr0;
        const X86Features f = x86_features_from_cpuid(w);
        return py::make_tuple(simd_level_name(f.level), f.avx512vbmi);
      },
      py::arg("max_leaf"), py::arg("leaf1_ecx"), py::arg("leaf7_ebx"), py::arg("leaf7_ecx"),
      py::arg("xcr0"),
      "(level, avx512vbmi) that x86 detection picks for these CPUID/XGETBV words.");
  testing.def("set_avx512vbmi", &set_avx512vbmi_enabled, py::arg("enabled"),
              "Allow (default) or forbid the AVX-512 kernels' VBMI paths (byte tables, byte "
              "permutes); returns the previous setting.");
  testing.def("avx512vbmi", &avx512vbmi_enabled,
              "Whether the AVX-512 kernels take their VBMI paths now (CPU and hook).");
}

}  // namespace fastaug_bindings

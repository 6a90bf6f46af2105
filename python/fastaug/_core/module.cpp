// fastaug._core: the compiled module. Each family's file converts and validates numpy
// arrays into kernel views and releases the GIL around its kernels; this file picks the
// SIMD level asked for by FASTAUG_SIMD and registers the families. The hooks only tests
// need live in the `_testing` submodule.
#include <cstdlib>
#include <string>

#include "common.hpp"
#include "core/simd_level.hpp"

PYBIND11_MODULE(_core, m, py::mod_gil_not_used()) {
  using namespace fastaug;
  using namespace fastaug_bindings;
  m.doc() = "fastaug native kernels (private; use fastaug.kernels)";
  g_main_thread =
      py::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>();
  if (const char* env = std::getenv("FASTAUG_SIMD")) {
    SimdLevel level;
    if (!parse_simd_level(env, &level))
      throw py::import_error(std::string("FASTAUG_SIMD='") + env +
                             "' is not one of scalar, sse4, avx2, avx512, neon");
    if (!set_active_simd_level(level))
      throw py::import_error(std::string("FASTAUG_SIMD=") + env +
                             " is not supported by this CPU (best: " +
                             simd_level_name(cpu_simd_level()) + ")");
  }
  py::module_ testing = m.def_submodule("_testing", "Hooks for fastaug's own tests.");
  // `import fastaug._core._testing` finds it there.
  py::module_::import("sys").attr("modules")["fastaug._core._testing"] = testing;
  register_checks(m);
  register_simd(m, testing);
  register_flip(m);
  register_photometric(m, testing);
  register_pipeline(m, testing);
  register_random(m);
  register_warp(m);
}

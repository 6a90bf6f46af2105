// Keyed randomness: the Philox-4x32-10 uniforms every sampler draws from.
#include <vector>

#include "common.hpp"
#include "random/philox.hpp"

namespace fastaug_bindings {

using namespace fastaug;

void register_random(py::module_& m) {
  m.def(
      "keyed_uniforms",
      [](uint64_t seed, uint32_t epoch, const py::object& indices_obj,
         const std::vector<uint32_t>& streams) {
        const py::array idx = array_arg(indices_obj, "indices");
        const std::vector<int64_t> indices =
            copy_array_arg<int64_t>(idx, "indices", {idx.ndim() == 1 ? idx.shape(0) : -1},
                                    "int64 of shape (n,)");
        const py::ssize_t n = static_cast<py::ssize_t>(indices.size());
        py::array_t<double> out({static_cast<py::ssize_t>(streams.size()), py::ssize_t{4}, n});
        double* data = out.mutable_data();
        {
          py::gil_scoped_release release;
          keyed_uniforms(seed, epoch, reinterpret_cast<const uint64_t*>(indices.data()), n,
                         streams.data(), static_cast<int64_t>(streams.size()), data);
        }
        return out;
      },
      py::arg("seed"), py::arg("epoch"), py::arg("indices"), py::arg("streams"),
      "(S, 4, n) uniforms in (0, 1): Philox-4x32-10 of counter (index low, epoch, stream, "
      "index high) under key (seed low, seed high), (word + 0.5) / 2**32.");
}

}  // namespace fastaug_bindings

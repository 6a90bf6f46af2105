// Flips: flip_horizontal / flip_vertical, and their plain-array fast forms.
#include "common.hpp"
#include "geometry/flip.hpp"

namespace fastaug_bindings {
namespace {

using namespace fastaug;

template <typename T>
void flip_typed(const py::array& image, const py::array& out, bool horizontal) {
  auto src = image_arg<T>(image, "image", false);
  auto dst = image_arg<T>(out, "out", true);
  py::gil_scoped_release release;
  if (horizontal)
    flip_horizontal<T>(src, dst);
  else
    flip_vertical<T>(src, dst);
}

void flip_binding(const py::array& image, const py::array& out, bool horizontal) {
  check_same_shape(image, out, "image", "out");
  check_no_overlap(image, out, "image", "out");
  if (!image.dtype().equal(out.dtype())) fail_type("out must have the same dtype as image");
  if (is_dtype(image, py::dtype::of<uint8_t>()))
    flip_typed<uint8_t>(image, out, horizontal);
  else if (is_dtype(image, py::dtype::of<float>()))
    flip_typed<float>(image, out, horizontal);
  else
    fail_type("image must be uint8 or float32, got dtype " + dtype_name(image));
}

template <typename T>
void flip_plain_typed(const py::handle& image, const py::object& out, bool horizontal) {
  const auto [src, dst] = plain_views<T>(image, out, /*allow_in_place=*/false);
  py::gil_scoped_release release;
  if (horizontal)
    flip_horizontal<T>(src, dst);
  else
    flip_vertical<T>(src, dst);
}

py::object flip_plain(const py::handle& image, const py::handle& out, bool horizontal) {
  py::object dst = plain_output(image, out);
  if (dst.is_none()) return dst;
  if (is_dtype(py::reinterpret_borrow<py::array>(image), py::dtype::of<uint8_t>()))
    flip_plain_typed<uint8_t>(image, dst, horizontal);
  else
    flip_plain_typed<float>(image, dst, horizontal);
  return dst;
}

}  // namespace

void register_flip(py::module_& m) {
  m.def("flip_horizontal", [](const py::array& image, const py::array& out) {
    flip_binding(image, out, true);
  }, py::arg("image"), py::arg("out"));
  m.def("flip_vertical", [](const py::array& image, const py::array& out) {
    flip_binding(image, out, false);
  }, py::arg("image"), py::arg("out"));
  m.def("flip_horizontal_plain", [](const py::handle& image, const py::handle& out) {
    return flip_plain(image, out, true);
  }, py::arg("image"), py::arg("out"),
        "flip_horizontal for plain arrays (out None: allocated); None if they are not plain.");
  m.def("flip_vertical_plain", [](const py::handle& image, const py::handle& out) {
    return flip_plain(image, out, false);
  }, py::arg("image"), py::arg("out"),
        "flip_vertical for plain arrays (out None: allocated); None if they are not plain.");
}

}  // namespace fastaug_bindings

// The affine warp: warp_affine (scipy.ndimage.affine_transform semantics, order 0 or 1),
// its plain-array fast form, and the fill-mode table.
#include <cmath>
#include <cstring>

#include "common.hpp"
#include "geometry/warp_affine.hpp"

namespace fastaug_bindings {

static_assert(kFillModes == static_cast<int>(fastaug::FillMode::mirror) + 1, "one name per FillMode");
const char* const kFillModeNames[kFillModes] = {"constant", "nearest", "reflect", "wrap", "mirror"};

std::string fill_mode_list() {
  std::string names;
  for (int k = 0; k < kFillModes; ++k)
    names += std::string(k ? ", '" : "'") + kFillModeNames[k] + "'";
  return names;
}

namespace {

using namespace fastaug;

// A (2, 3) float64 array of finite numbers, copied before the GIL is released.
AffineMatrix warp_matrix_arg(const py::object& obj) {
  const py::array a = array_arg(obj, "matrix");
  if (!is_dtype(a, py::dtype::of<double>()) || !is_native(a))
    fail_type("matrix must have dtype float64, got " + dtype_name(a));
  if (a.ndim() != 2 || a.shape(0) != 2 || a.shape(1) != 3)
    fail_value("matrix must have shape (2, 3)");
  AffineMatrix m;
  const char* base = static_cast<const char*>(a.data());
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 3; ++c) {
      double v;
      std::memcpy(&v, base + r * a.strides(0) + c * a.strides(1), sizeof v);
      if (!std::isfinite(v)) fail_value("matrix must contain only finite numbers");
      m.m[3 * r + c] = v;
    }
  return m;
}

FillMode warp_fill_arg(const std::string& name) {
  for (int k = 0; k < kFillModes; ++k)
    if (name == kFillModeNames[k]) return static_cast<FillMode>(k);
  fail_value("fill_mode must be one of " + fill_mode_list() + ", got '" + name + "'");
}

template <typename Tin, typename Tout>
void warp_typed(const py::array& image, const py::array& out, const WarpParams& p) {
  const ImageView<Tin> src = image_arg<Tin>(image, "image", false);
  const ImageView<Tout> dst = image_arg<Tout>(out, "out", true);
  py::gil_scoped_release release;
  warp_affine<Tin, Tout>(src, dst, p);
}

void warp_affine_binding(const py::object& image_obj, const py::object& out_obj,
                         const py::object& matrix_obj, int order, const std::string& fill_mode,
                         double cval) {
  const py::array image = array_arg(image_obj, "image");
  const py::array out = array_arg(out_obj, "out");
  WarpParams p;
  p.matrix = warp_matrix_arg(matrix_obj);
  if (order != 0 && order != 1)
    fail_value("order must be 0 or 1 (higher spline orders are not native), got " +
               std::to_string(order));
  p.interp = static_cast<Interp>(order);
  p.fill = warp_fill_arg(fill_mode);
  if (!std::isfinite(cval)) fail_value("cval must be finite");
  p.cval = cval;
  if (image.ndim() != 3 || out.ndim() != 3)
    fail_value("image and out must have shape (height, width, channels)");
  if (image.shape(0) < 1 || image.shape(1) < 1)
    fail_value("image must have height and width >= 1");
  if (out.shape(0) < 1 || out.shape(1) < 1) fail_value("out must have height and width >= 1");
  if (out.shape(2) != image.shape(2))
    fail_value("out must have as many channels as image (" + std::to_string(image.shape(2)) + ")");
  check_no_overlap(image, out, "image", "out");
  const bool in_u8 = is_dtype(image, py::dtype::of<uint8_t>());
  const bool out_u8 = is_dtype(out, py::dtype::of<uint8_t>());
  if (!in_u8 && !is_dtype(image, py::dtype::of<float>()))
    fail_type("image must be uint8 or float32, got dtype " + dtype_name(image));
  if (!out_u8 && !is_dtype(out, py::dtype::of<float>()))
    fail_type("out must be uint8 or float32, got dtype " + dtype_name(out));
  if (in_u8 && out_u8)
    warp_typed<uint8_t, uint8_t>(image, out, p);
  else if (in_u8)
    warp_typed<uint8_t, float>(image, out, p);
  else if (out_u8)
    warp_typed<float, uint8_t>(image, out, p);
  else
    warp_typed<float, float>(image, out, p);
}

template <typename T>
void warp_plain_typed(const py::handle& image, const py::object& out, const WarpParams& p) {
  const auto [src, dst] = plain_views<T>(image, out, /*allow_in_place=*/false);
  py::gil_scoped_release release;
  warp_affine<T, T>(src, dst, p);
}

// warp_affine for plain arrays (out None: allocated with image's shape) with a (2, 3)
// float64 ndarray matrix, an int order 0 or 1, a fill-mode name and a finite float cval
// (exact types); None for anything else, which the Python path converts or reports. The
// matrix's values are checked here, with the general binding's message.
py::object warp_affine_plain(const py::handle& image, const py::handle& out,
                             const py::handle& matrix, const py::handle& order,
                             const py::handle& fill_mode, const py::handle& cval) {
  if (!PyLong_CheckExact(order.ptr()) || !PyUnicode_CheckExact(fill_mode.ptr()) ||
      !PyFloat_CheckExact(cval.ptr()) ||
      Py_TYPE(matrix.ptr()) != py::detail::npy_api::get().PyArray_Type_)
    return py::none();
  WarpParams p;
  const long interp = PyLong_AsLong(order.ptr());
  if (interp != 0 && interp != 1) {
    PyErr_Clear();  // an int too large for a long
    return py::none();
  }
  p.interp = static_cast<Interp>(interp);
  int fill = 0;
  while (fill < kFillModes &&
         PyUnicode_CompareWithASCIIString(fill_mode.ptr(), kFillModeNames[fill]) != 0)
    ++fill;
  if (fill == kFillModes) return py::none();
  p.fill = static_cast<FillMode>(fill);
  p.cval = PyFloat_AS_DOUBLE(cval.ptr());
  if (!std::isfinite(p.cval)) return py::none();
  const auto m = py::reinterpret_borrow<py::array>(matrix);
  if (!is_dtype(m, py::dtype::of<double>()) || !is_native(m) || m.ndim() != 2 ||
      m.shape(0) != 2 || m.shape(1) != 3)
    return py::none();
  if (!plain_array(image)) return py::none();
  const auto img = py::reinterpret_borrow<py::array>(image);
  if (img.shape(0) < 1 || img.shape(1) < 1) return py::none();
  p.matrix = warp_matrix_arg(py::reinterpret_borrow<py::object>(matrix));
  py::object dst = plain_output(image, out);
  if (dst.is_none()) return dst;
  if (is_dtype(img, py::dtype::of<uint8_t>()))
    warp_plain_typed<uint8_t>(image, dst, p);
  else
    warp_plain_typed<float>(image, dst, p);
  return dst;
}

}  // namespace

void register_warp(py::module_& m) {
  m.def("warp_affine", &warp_affine_binding, py::arg("image"), py::arg("out"), py::arg("matrix"),
        py::arg("order"), py::arg("fill_mode"), py::arg("cval"),
        "out[r, c] = image sampled at matrix @ (r, c, 1), scipy.ndimage.affine_transform "
        "semantics (order 0 or 1). image and out: (H, W, C) uint8 or float32, any pairing.");
  m.def(
      "fill_modes",
      [] {
        py::list names;
        for (const char* name : kFillModeNames) names.append(name);
        return names;
      },
      "The warp's fill modes, in the order of their codes.");
  m.def("warp_affine_plain", &warp_affine_plain, py::arg("image"), py::arg("out"),
        py::arg("matrix"), py::arg("order"), py::arg("fill_mode"), py::arg("cval"),
        "warp_affine for plain arrays, a (2, 3) float64 matrix and plain scalars (out None: "
        "allocated); None if the arguments are not plain.");
}

}  // namespace fastaug_bindings

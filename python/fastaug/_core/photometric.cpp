// Pointwise photometric ops: brightness, channel shift, min/max, scale/offset, and the
// Keras brightness step, with the plain-array fast forms.
#include <cmath>
#include <vector>

#include "common.hpp"
#include "photometric/photometric.hpp"

namespace fastaug_bindings {
namespace {

using namespace fastaug;

// image -> out of the same shape; out may be image itself (same data and strides) only.
void check_image_out_pair(const py::array& image, const py::array& out) {
  check_u8_or_f32(image, "image");
  check_u8_or_f32(out, "out");
  check_same_shape(image, out, "image", "out");
  check_no_overlap(image, out, "image", "out", /*allow_exact_alias=*/true);
}

BrightnessRounding rounding_arg(const std::string& rounding) {
  if (rounding == "nearest") return BrightnessRounding::nearest;
  if (rounding != "floor")
    fail_value("rounding must be 'nearest' or 'floor', got '" + rounding + "'");
  return BrightnessRounding::floor;
}

template <typename T>
void brightness_typed(const py::array& image, const py::array& out, float factor,
                      BrightnessRounding rounding) {
  const ImageView<const T> src = image_arg<T>(image, "image", false);
  const ImageView<T> dst = image_arg<T>(out, "out", true);
  py::gil_scoped_release release;
  adjust_brightness<T>(src, dst, factor, rounding);
}

void brightness_binding(const py::object& image_obj, const py::object& out_obj, double factor,
                        const std::string& rounding) {
  const py::array image = array_arg(image_obj, "image");
  const py::array out = array_arg(out_obj, "out");
  check_image_out_pair(image, out);
  if (!image.dtype().equal(out.dtype())) fail_type("out must have the same dtype as image");
  const float f = finite_float_arg(factor, "factor");
  if (f < 0.0f) fail_value("factor must be >= 0, got " + std::to_string(factor));
  const BrightnessRounding mode = rounding_arg(rounding);
  if (is_u8(image))
    brightness_typed<uint8_t>(image, out, f, mode);
  else
    brightness_typed<float>(image, out, f, mode);
}

template <typename T>
void brightness_plain_typed(const py::handle& image, const py::object& out, float factor,
                            BrightnessRounding rounding) {
  const auto [src, dst] = plain_views<T>(image, out, /*allow_in_place=*/true);
  py::gil_scoped_release release;
  adjust_brightness<T>(src, dst, factor, rounding);
}

// Only a float factor in [0, float32 max] and rounding 'nearest' or 'floor' (exact types);
// anything else returns None for the Python path to convert or report.
py::object brightness_plain(const py::handle& image, const py::handle& out,
                            const py::handle& factor, const py::handle& rounding) {
  float f;
  if (!plain_float(factor.ptr(), &f) || !(f >= 0.0f) || !PyUnicode_CheckExact(rounding.ptr()))
    return py::none();
  BrightnessRounding mode;
  if (PyUnicode_CompareWithASCIIString(rounding.ptr(), "nearest") == 0)
    mode = BrightnessRounding::nearest;
  else if (PyUnicode_CompareWithASCIIString(rounding.ptr(), "floor") == 0)
    mode = BrightnessRounding::floor;
  else
    return py::none();
  py::object dst = plain_output(image, out);
  if (dst.is_none()) return dst;
  if (is_u8(py::reinterpret_borrow<py::array>(image)))
    brightness_plain_typed<uint8_t>(image, dst, f, mode);
  else
    brightness_plain_typed<float>(image, dst, f, mode);
  return dst;
}

template <typename T>
void channel_shift_typed(const py::array& image, const py::array& out,
                         const std::vector<float>& shift, float lo, float hi) {
  const ImageView<const T> src = image_arg<T>(image, "image", false);
  const ImageView<T> dst = image_arg<T>(out, "out", true);
  py::gil_scoped_release release;
  channel_shift<T>(src, dst, shift.data(), lo, hi);
}

void channel_shift_binding(const py::object& image_obj, const py::object& out_obj,
                           const std::vector<double>& shift, double lo, double hi) {
  const py::array image = array_arg(image_obj, "image");
  const py::array out = array_arg(out_obj, "out");
  check_image_out_pair(image, out);
  if (!image.dtype().equal(out.dtype())) fail_type("out must have the same dtype as image");
  if (image.ndim() != 3)
    fail_value("image must have shape (height, width, channels), got ndim " +
               std::to_string(image.ndim()));
  if (static_cast<py::ssize_t>(shift.size()) != image.shape(2))
    fail_value("shift must have one value per channel (" + std::to_string(image.shape(2)) +
               "), got " + std::to_string(shift.size()));
  std::vector<float> shift_f(shift.size());
  for (size_t k = 0; k < shift.size(); ++k) shift_f[k] = finite_float_arg(shift[k], "shift");
  // Infinite bounds mean "no clipping"; NaN has no meaning as a bound.
  if (std::isnan(lo) || std::isnan(hi)) fail_value("lo and hi must not be NaN");
  if (lo > hi) fail_value("lo must be <= hi");
  const float lo_f = static_cast<float>(lo), hi_f = static_cast<float>(hi);
  if (is_u8(image))
    channel_shift_typed<uint8_t>(image, out, shift_f, lo_f, hi_f);
  else
    channel_shift_typed<float>(image, out, shift_f, lo_f, hi_f);
}

template <typename T>
void channel_shift_plain_typed(const py::handle& image, const py::object& out,
                               const std::vector<float>& shift) {
  const auto [src, dst] = plain_views<T>(image, out, /*allow_in_place=*/true);
  const bool u8 = std::is_same<T, uint8_t>::value;
  py::gil_scoped_release release;
  channel_shift<T>(src, dst, shift.data(), u8 ? 0.0f : -INFINITY, u8 ? 255.0f : INFINITY);
}

// channel_shift with the dtype's range (uint8 [0, 255], float32 unclipped) for plain
// arrays and a shift that is a finite float or a tuple or list of one finite float per
// channel (exact types); anything else returns None for the Python path to convert or report.
py::object channel_shift_plain(const py::handle& image, const py::handle& out,
                               const py::handle& shift) {
  if (!plain_array(image)) return py::none();
  const auto channels = static_cast<size_t>(py::reinterpret_borrow<py::array>(image).shape(2));
  std::vector<float> shifts(channels);
  PyObject* const obj = shift.ptr();
  if (PyFloat_CheckExact(obj)) {
    if (!plain_float(obj, &shifts[0])) return py::none();
    std::fill(shifts.begin(), shifts.end(), shifts[0]);
  } else if (PyTuple_CheckExact(obj) || PyList_CheckExact(obj)) {
    if (static_cast<size_t>(PySequence_Fast_GET_SIZE(obj)) != channels) return py::none();
    for (size_t k = 0; k < channels; ++k)
      if (!plain_float(PySequence_Fast_GET_ITEM(obj, static_cast<Py_ssize_t>(k)), &shifts[k]))
        return py::none();
  } else {
    return py::none();
  }
  py::object dst = plain_output(image, out);
  if (dst.is_none()) return dst;
  if (is_u8(py::reinterpret_borrow<py::array>(image)))
    channel_shift_plain_typed<uint8_t>(image, dst, shifts);
  else
    channel_shift_plain_typed<float>(image, dst, shifts);
  return dst;
}

template <typename T>
py::tuple min_max_typed(const py::array& image) {
  const ImageView<const T> img = image_arg<T>(image, "image", false);
  float lo, hi;
  {
    py::gil_scoped_release release;
    min_max<T>(img, &lo, &hi);
  }
  return py::make_tuple(lo, hi);
}

py::tuple min_max_binding(const py::object& image_obj) {
  const py::array image = array_arg(image_obj, "image");
  check_u8_or_f32(image, "image");
  if (image.size() == 0) fail_value("image must not be empty");
  return is_u8(image) ? min_max_typed<uint8_t>(image) : min_max_typed<float>(image);
}

template <typename Tin, typename Tout>
void scale_offset_typed(const py::array& image, const py::array& out, float scale, float offset) {
  const ImageView<const Tin> src = image_arg<Tin>(image, "image", false);
  const ImageView<Tout> dst = image_arg<Tout>(out, "out", true);
  py::gil_scoped_release release;
  scale_offset<Tin, Tout>(src, dst, scale, offset);
}

void scale_offset_binding(const py::object& image_obj, const py::object& out_obj, double scale,
                          double offset) {
  const py::array image = array_arg(image_obj, "image");
  const py::array out = array_arg(out_obj, "out");
  check_u8_or_f32(image, "image");
  check_u8_or_f32(out, "out");
  check_same_shape(image, out, "image", "out");
  // In place only between equal dtypes: a uint8 view of float32 memory is not "the same image".
  check_no_overlap(image, out, "image", "out", image.dtype().equal(out.dtype()));
  const float s = finite_float_arg(scale, "scale"), o = finite_float_arg(offset, "offset");
  if (is_u8(image) && is_u8(out))
    scale_offset_typed<uint8_t, uint8_t>(image, out, s, o);
  else if (is_u8(image))
    scale_offset_typed<uint8_t, float>(image, out, s, o);
  else if (is_u8(out))
    scale_offset_typed<float, uint8_t>(image, out, s, o);
  else
    scale_offset_typed<float, float>(image, out, s, o);
}

void keras_brightness_binding(const py::object& image_obj, double factor, bool keep_alpha) {
  const py::array image = array_arg(image_obj, "image");
  if (!is_f32(image) || !is_native(image))
    fail_type("image must be a native-endian float32 array, got dtype " + dtype_name(image));
  const ImageF32 img = image_arg<float>(image, "image", true);
  const float f = finite_float_arg(factor, "factor");
  if (keep_alpha && img.channels != 4)
    fail_value("keep_alpha needs a 4-channel (RGBA) image, got " + std::to_string(img.channels) +
               " channels");
  py::gil_scoped_release release;
  keras_brightness_inplace(img, f, keep_alpha);
}

}  // namespace

void register_photometric(py::module_& m, py::module_& testing) {
  m.def("adjust_brightness", &brightness_binding, py::arg("image"), py::arg("out"),
        py::arg("factor"), py::arg("rounding"),
        "out = clamp(round(image * factor)); rounding 'nearest' or 'floor' (Keras/Pillow).");
  m.def("channel_shift", &channel_shift_binding, py::arg("image"), py::arg("out"),
        py::arg("shift"), py::arg("lo"), py::arg("hi"),
        "out = clip(image + shift[c], lo, hi); shift has one value per channel.");
  m.def("adjust_brightness_plain", &brightness_plain, py::arg("image"), py::arg("out"),
        py::arg("factor"), py::arg("rounding"),
        "adjust_brightness for plain arrays (out None: allocated); None if they are not plain.");
  m.def("channel_shift_plain", &channel_shift_plain, py::arg("image"), py::arg("out"),
        py::arg("shift"),
        "channel_shift in the dtype's range for plain arrays (out None: allocated; shift: one "
        "value or one per channel); None if they are not plain.");
  m.def("min_max", &min_max_binding, py::arg("image"),
        "(min, max) over every element of a non-empty image, as floats.");
  m.def("scale_offset", &scale_offset_binding, py::arg("image"), py::arg("out"),
        py::arg("scale"), py::arg("offset"),
        "out = image * scale + offset in float32; a uint8 out rounds and saturates.");
  m.def("keras_brightness_inplace", &keras_brightness_binding, py::arg("image"),
        py::arg("factor"), py::arg("keep_alpha"),
        "keras-preprocessing 1.1.2 brightness (stretch, truncate, Pillow blend), in place.");
  testing.def(
      "brightness_u8_method",
      [](double factor, const std::string& rounding) {
        return std::string(brightness_u8_method(finite_float_arg(factor, "factor"), rounding_arg(rounding)));
      },
      py::arg("factor"), py::arg("rounding"),
      "How uint8 adjust_brightness runs for this factor at the active SIMD level "
      "('float', 'table', 'multiply', 'multiply+parity' or 'multiply+map').");
}

}  // namespace fastaug_bindings

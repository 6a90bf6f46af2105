#include "common.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>
#include <vector>

namespace fastaug_bindings {

unsigned long g_main_thread = 0;

namespace {

bool interpreter_finalizing() {
#if PY_VERSION_HEX >= 0x030D0000
  return Py_IsFinalizing();
#else
  return _Py_IsFinalizing();
#endif
}

}  // namespace

ReleaseGil::ReleaseGil() : state_(PyEval_SaveThread()) {}

ReleaseGil::~ReleaseGil() noexcept(false) {
  if (interpreter_finalizing() && PyThread_get_thread_ident() != g_main_thread)
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
  PyEval_RestoreThread(state_);
}

void fail_type(const std::string& msg) { throw py::type_error(msg); }
void fail_value(const std::string& msg) { throw py::value_error(msg); }

std::string dtype_name(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

// dtype.isnative from the descriptor's byte-order field (an attribute lookup per argument
// was a measurable share of a small kernel call).
bool is_native(const py::array& a) {
  const char order = a.dtype().byteorder();
  constexpr char kNativeOrder = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? '<' : '>';
  return order == '=' || order == '|' || order == kNativeOrder;
}

bool is_dtype(const py::array& a, const py::dtype& d) { return a.dtype().is(d) || a.dtype().equal(d); }
bool is_u8(const py::array& a) { return is_dtype(a, py::dtype::of<uint8_t>()); }
bool is_f32(const py::array& a) { return is_dtype(a, py::dtype::of<float>()); }

void check_u8_or_f32(const py::array& a, const char* name) {
  if (!(is_u8(a) || is_f32(a)) || !is_native(a))
    fail_type(std::string(name) + " must be uint8 or float32 (native byte order), got dtype " +
              dtype_name(a));
}

py::array array_arg(const py::object& obj, const char* name) {
  if (!py::isinstance<py::array>(obj))
    fail_type(std::string(name) + " must be a numpy.ndarray, got " +
              py::str(py::type::of(obj).attr("__name__")).cast<std::string>());
  return py::reinterpret_borrow<py::array>(obj);
}

bool elements_alias(const py::array& a) {
  if (a.size() == 0) return false;
  std::vector<std::pair<intptr_t, intptr_t>> axes;  // (|stride|, length)
  for (py::ssize_t k = 0; k < a.ndim(); ++k)
    if (a.shape(k) > 1) axes.emplace_back(std::abs(static_cast<intptr_t>(a.strides(k))), a.shape(k));
  std::sort(axes.begin(), axes.end());
  intptr_t span = a.itemsize();
  for (const auto& [stride, length] : axes) {
    if (stride < span) return true;
    span += stride * (length - 1);
  }
  return false;
}

std::pair<uintptr_t, uintptr_t> byte_extent(const py::array& a) {
  uintptr_t base = reinterpret_cast<uintptr_t>(a.data());
  intptr_t lo = 0, hi = 0;
  for (py::ssize_t k = 0; k < a.ndim(); ++k) {
    if (a.shape(k) == 0) return {base, base};
    const intptr_t span = static_cast<intptr_t>(a.strides(k)) * (a.shape(k) - 1);
    if (span < 0) lo += span; else hi += span;
  }
  return {base + lo, base + hi + a.itemsize()};
}

void check_no_overlap(const py::array& src, const py::array& out, const char* src_name,
                      const char* out_name, bool allow_exact_alias) {
  auto a = byte_extent(src), b = byte_extent(out);
  if (a.first == a.second || b.first == b.second) return;
  if (allow_exact_alias && src.data() == out.data() && src.ndim() == out.ndim() &&
      std::equal(src.strides(), src.strides() + src.ndim(), out.strides()))
    return;
  // Byte ranges, not elements: interleaved views are refused too, so no kernel has to
  // promise it never writes the bytes between an output's elements.
  if (a.first < b.second && b.first < a.second)
    fail_value(std::string(out_name) + " overlaps " + src_name +
               "; pass a separate output array");
}

void check_same_shape(const py::array& a, const py::array& b, const char* a_name,
                      const char* b_name) {
  if (a.ndim() != b.ndim() || !std::equal(a.shape(), a.shape() + a.ndim(), b.shape()))
    fail_value(std::string(b_name) + " must have the same shape as " + a_name);
}

float finite_float_arg(double v, const char* name) {
  if (!std::isfinite(v)) fail_value(std::string(name) + " must be finite, got " + std::to_string(v));
  if (std::fabs(v) > 3.4028234663852886e38)
    fail_value(std::string(name) + " must be a finite float32 value, got " + std::to_string(v));
  return static_cast<float>(v);
}

bool plain_array(const py::handle& h) {
  if (Py_TYPE(h.ptr()) != py::detail::npy_api::get().PyArray_Type_) return false;
  const auto a = py::reinterpret_borrow<py::array>(h);
  constexpr int kLayout = py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_ | py::detail::npy_api::NPY_ARRAY_ALIGNED_;
  return a.ndim() == 3 && a.shape(2) >= 1 && (a.flags() & kLayout) == kLayout && is_native(a) &&
         (is_u8(a) || is_f32(a));
}

bool plain_float(PyObject* obj, float* value) {
  if (!PyFloat_CheckExact(obj)) return false;
  const double v = PyFloat_AS_DOUBLE(obj);
  if (!(std::fabs(v) <= 3.4028234663852886e38)) return false;  // NaN and inf fail too
  *value = static_cast<float>(v);
  return true;
}

py::object plain_output(const py::handle& image_h, const py::handle& out_h) {
  if (!plain_array(image_h)) return py::none();
  const auto image = py::reinterpret_borrow<py::array>(image_h);
  if (out_h.is_none())
    return py::array(image.dtype(), std::vector<py::ssize_t>{image.shape(0), image.shape(1), image.shape(2)});
  if (!plain_array(out_h)) return py::none();
  const auto out = py::reinterpret_borrow<py::array>(out_h);
  if (!out.dtype().is(image.dtype()) && !out.dtype().equal(image.dtype())) return py::none();
  if (!std::equal(image.shape(), image.shape() + 3, out.shape())) return py::none();
  return py::reinterpret_borrow<py::object>(out_h);
}

void register_checks(py::module_& m) {
  m.def("_elements_alias", [](const py::array& a) { return elements_alias(a); }, py::arg("a"),
        "True unless a's strides provably give every element its own bytes (the check every "
        "writable kernel argument gets), for the Python side's own out= handling.");
}

}  // namespace fastaug_bindings

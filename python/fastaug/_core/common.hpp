// What every binding file shares: the GIL release used around kernels, the error helpers,
// and the conversion of numpy arrays into kernel views with their checks.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <cstring>
#include <utility>
#include <vector>

#include "core/image.hpp"

namespace fastaug_bindings {

// Identity of the interpreter's main thread, which is the one that finalises it.
extern unsigned long g_main_thread;

// Releases the GIL for a kernel and takes it back afterwards, like
// pybind11::gil_scoped_release, but safe at interpreter exit. Once finalisation has begun,
// CPython (before 3.14) ends any other thread that asks for the GIL with pthread_exit,
// which unwinds its stack: through pybind11's noexcept destructor that aborts the process,
// and the unwinding would also release Python objects without the GIL. A daemon thread
// coming back from a kernel then instead waits here until the process ends (what CPython
// 3.14 does itself). The destructor may still let that unwind through (noexcept(false))
// for a thread that checked just before finalisation began.
class ReleaseGil {
 public:
  ReleaseGil();
  ReleaseGil(const ReleaseGil&) = delete;
  ReleaseGil& operator=(const ReleaseGil&) = delete;
  ~ReleaseGil() noexcept(false);

 private:
  PyThreadState* state_;
};

}  // namespace fastaug_bindings

// `py` is pybind11 except that py::gil_scoped_release, in every binding, is ReleaseGil.
namespace py {
using namespace pybind11;
using gil_scoped_release = fastaug_bindings::ReleaseGil;
}  // namespace py

namespace fastaug_bindings {

using fastaug::ImageView;

constexpr int kMaxThreads = 1024;  // the num_threads bound every binding checks

// FillMode's names, in the order of its codes (defined in warp.cpp), and them quoted in a
// comma-separated list for error messages.
constexpr int kFillModes = 5;
extern const char* const kFillModeNames[kFillModes];
std::string fill_mode_list();

// The families' module initialisers, called by module.cpp.
void register_checks(py::module_& m);
void register_simd(py::module_& m, py::module_& testing);
void register_flip(py::module_& m);
void register_photometric(py::module_& m, py::module_& testing);
void register_warp(py::module_& m);
void register_pipeline(py::module_& m, py::module_& testing);
void register_random(py::module_& m);

[[noreturn]] void fail_type(const std::string& msg);
[[noreturn]] void fail_value(const std::string& msg);

std::string dtype_name(const py::array& a);
bool is_native(const py::array& a);
bool is_dtype(const py::array& a, const py::dtype& d);
bool is_u8(const py::array& a);
bool is_f32(const py::array& a);
void check_u8_or_f32(const py::array& a, const char* name);

// Arrays only: pybind11 would otherwise convert a list into a temporary array (and an
// `out` converted that way would silently lose the results).
py::array array_arg(const py::object& obj, const char* name);

// True unless the strides provably give every element its own bytes: sorted by stride,
// each axis must step past everything the smaller axes span (as_strided views may not).
bool elements_alias(const py::array& a);

// Byte range [lo, hi) spanned by an array, for overlap checks.
std::pair<uintptr_t, uintptr_t> byte_extent(const py::array& a);
// Refuses an out whose bytes overlap src's (exactly the same array is allowed on request).
void check_no_overlap(const py::array& src, const py::array& out, const char* src_name,
                      const char* out_name, bool allow_exact_alias = false);
void check_same_shape(const py::array& a, const py::array& b, const char* a_name,
                      const char* b_name);
// A finite float32 value, or a ValueError naming the argument.
float finite_float_arg(double v, const char* name);

// The per-call fast path of kernels.py's pointwise functions (the *_plain bindings): a
// "plain" array is exactly a numpy.ndarray, (H, W, C), uint8 or float32 in native order,
// C-contiguous and aligned. Checked here because the same checks in Python cost a sizeable
// fraction of a small image's whole call (docs/performance.md, "Per-call overhead").
bool plain_array(const py::handle& h);
// A finite float32 value from an exact Python float, or false.
bool plain_float(PyObject* obj, float* value);
// The array a plain call writes: `out` itself if it is plain with image's dtype and shape,
// a new C-contiguous array if `out` is None; None (nothing done) if either is not plain,
// so that the caller takes its general path. The kernel's binding still checks the rest
// (overlap, writability, arguments).
py::object plain_output(const py::handle& image_h, const py::handle& out_h);

template <typename T>
const char* dtype_label() {
  return std::is_same<T, uint8_t>::value ? "uint8" : "float32";
}

// A (H, W, C) numpy array of dtype T with native byte order, element-aligned strides and
// contiguous channels, viewed as ImageView<T>. `name` is the argument named in errors.
template <typename T>
ImageView<T> image_arg(const py::array& a, const char* name, bool writable) {
  if (!py::isinstance<py::array_t<T>>(a) || a.dtype().kind() != py::dtype::of<T>().kind() ||
      a.itemsize() != static_cast<py::ssize_t>(sizeof(T)) || !is_native(a))
    fail_type(std::string(name) + " must be a native-endian " + dtype_label<T>() +
              " array, got dtype " + dtype_name(a));
  if (a.ndim() != 3)
    fail_value(std::string(name) + " must have shape (height, width, channels), got ndim " +
               std::to_string(a.ndim()));
  if (a.shape(2) < 1) fail_value(std::string(name) + " must have at least one channel");
  // numpy gives empty arrays zero strides; no element will be read or written.
  if (a.shape(0) == 0 || a.shape(1) == 0) {
    if (writable && !a.writeable()) fail_value(std::string(name) + " is read-only");
    return ImageView<T>{static_cast<T*>(const_cast<void*>(a.data())), a.shape(0), a.shape(1),
                        a.shape(2), 0, 0};
  }
  for (int k = 0; k < 3; ++k)
    if (a.strides(k) % static_cast<py::ssize_t>(sizeof(T)) != 0)
      fail_value(std::string(name) + " has strides that are not a multiple of its item size");
  // Kernels dereference T*: a misaligned pointer (e.g. a float32 view at an odd byte offset)
  // is undefined behaviour even where the CPU tolerates it.
  if (reinterpret_cast<uintptr_t>(a.data()) % alignof(T) != 0)
    fail_value(std::string(name) + " is not aligned to its item size (pass a copy)");
  if (a.shape(2) > 1 && a.strides(2) != static_cast<py::ssize_t>(sizeof(T)))
    fail_value(std::string(name) + " must have contiguous channels (stride " +
               std::to_string(sizeof(T)) + " bytes on the last axis)");
  if (writable && !a.writeable()) fail_value(std::string(name) + " is read-only");
  if (writable && elements_alias(a))
    fail_value(std::string(name) + " has overlapping elements (its strides alias memory)");
  const int64_t s = sizeof(T);
  T* data = writable ? static_cast<T*>(const_cast<void*>(a.data()))
                     : const_cast<T*>(static_cast<const T*>(a.data()));
  return ImageView<T>{data, a.shape(0), a.shape(1), a.shape(2), a.strides(0) / s, a.strides(1) / s};
}

// A plain array (see plain_array) as ImageView<T>: C order gives the strides.
template <typename T>
ImageView<T> plain_view(const py::array& a) {
  const int64_t h = a.shape(0), w = a.shape(1), c = a.shape(2);
  return ImageView<T>{static_cast<T*>(const_cast<void*>(a.data())), h, w, c, w * c, c};
}

// Views of a plain image and the output plain_output returned for it (same shape and
// dtype, both plain); the checks left are out's writability and overlap, which image_arg
// would otherwise repeat with the layout checks plain_array has done.
template <typename T>
std::pair<ImageView<const T>, ImageView<T>> plain_views(const py::handle& image,
                                                        const py::object& out,
                                                        bool allow_in_place) {
  const auto img = py::reinterpret_borrow<py::array>(image);
  const auto dst = py::reinterpret_borrow<py::array>(out);
  if (!dst.writeable()) fail_value("out is read-only");
  check_no_overlap(img, dst, "image", "out", allow_in_place);
  return {plain_view<T>(img), plain_view<T>(dst)};
}

// Copies a native-endian array of T with exactly `shape` into a flat C-order vector, so
// the values cannot change (another Python thread) once validated and the GIL is released.
template <typename T>
std::vector<T> copy_array_arg(const py::object& obj, const char* name,
                              const std::vector<py::ssize_t>& shape, const char* expected) {
  const py::array a = array_arg(obj, name);
  if (!is_dtype(a, py::dtype::of<T>()) || !is_native(a))
    fail_type(std::string(name) + " must have dtype " + expected + ", got " + dtype_name(a));
  bool same = a.ndim() == static_cast<py::ssize_t>(shape.size());
  for (size_t k = 0; same && k < shape.size(); ++k) same = a.shape(k) == shape[k];
  if (!same) {
    std::string got = "(";
    for (py::ssize_t k = 0; k < a.ndim(); ++k) got += (k ? ", " : "") + std::to_string(a.shape(k));
    fail_value(std::string(name) + " must have shape " + expected + ", got " + got +
               (a.ndim() == 1 ? ",)" : ")"));
  }
  const py::ssize_t rows = shape[0], cols = shape.size() > 1 ? shape[1] : 1;
  std::vector<T> values(static_cast<size_t>(rows * cols));
  const char* base = static_cast<const char*>(a.data());
  for (py::ssize_t r = 0; r < rows; ++r)
    for (py::ssize_t c = 0; c < cols; ++c)
      std::memcpy(&values[static_cast<size_t>(r * cols + c)],
                  base + r * a.strides(0) + (shape.size() > 1 ? c * a.strides(1) : 0), sizeof(T));
  return values;
}

}  // namespace fastaug_bindings

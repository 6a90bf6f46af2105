// fastaug._core: the only Python-facing C++ file. It converts and validates numpy arrays
// into kernel views, releases the GIL around every kernel, and does nothing else.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/image.hpp"
#include "core/simd_level.hpp"
#include "geometry/flip.hpp"

namespace fastaug_bindings {

// Identity of the interpreter's main thread, which is the one that finalises it.
unsigned long g_main_thread = 0;

bool interpreter_finalizing() {
#if PY_VERSION_HEX >= 0x030D0000
  return Py_IsFinalizing();
#else
  return _Py_IsFinalizing();
#endif
}

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
  ReleaseGil() : state_(PyEval_SaveThread()) {}
  ReleaseGil(const ReleaseGil&) = delete;
  ReleaseGil& operator=(const ReleaseGil&) = delete;
  ~ReleaseGil() noexcept(false) {
    if (interpreter_finalizing() && PyThread_get_thread_ident() != g_main_thread)
      for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
    PyEval_RestoreThread(state_);
  }

 private:
  PyThreadState* state_;
};

}  // namespace fastaug_bindings

// `py` is pybind11 except that py::gil_scoped_release, in every binding below, is
// ReleaseGil.
namespace py {
using namespace pybind11;
using gil_scoped_release = fastaug_bindings::ReleaseGil;
}  // namespace py
using namespace fastaug;

namespace {

[[noreturn]] void fail_type(const std::string& msg) { throw py::type_error(msg); }
[[noreturn]] void fail_value(const std::string& msg) { throw py::value_error(msg); }

std::string dtype_name(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

template <typename T>
const char* dtype_label() {
  return std::is_same<T, uint8_t>::value ? "uint8" : "float32";
}

// dtype.isnative from the descriptor's byte-order field (an attribute lookup per argument
// was a measurable share of a small kernel call).
bool is_native(const py::array& a) {
  const char order = a.dtype().byteorder();
  constexpr char kNativeOrder = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? '<' : '>';
  return order == '=' || order == '|' || order == kNativeOrder;
}

// True unless the strides provably give every element its own bytes: sorted by stride,
// each axis must step past everything the smaller axes span (as_strided views may not).
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

// Byte range [lo, hi) spanned by an array, for overlap checks.
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
                      const char* out_name, bool allow_exact_alias = false) {
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

bool is_dtype(const py::array& a, const py::dtype& d) { return a.dtype().is(d) || a.dtype().equal(d); }

// The per-call fast path of kernels.py's pointwise functions (the *_plain bindings): a
// "plain" array is exactly a numpy.ndarray, (H, W, C), uint8 or float32 in native order,
// C-contiguous and aligned. Checked here because the same checks in Python cost a sizeable
// fraction of a small image's whole call (docs/performance.md, "Per-call overhead").
bool plain_array(const py::handle& h) {
  if (Py_TYPE(h.ptr()) != py::detail::npy_api::get().PyArray_Type_) return false;
  const auto a = py::reinterpret_borrow<py::array>(h);
  constexpr int kLayout = py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_ | py::detail::npy_api::NPY_ARRAY_ALIGNED_;
  return a.ndim() == 3 && a.shape(2) >= 1 && (a.flags() & kLayout) == kLayout && is_native(a) &&
         (is_dtype(a, py::dtype::of<uint8_t>()) || is_dtype(a, py::dtype::of<float>()));
}

// A finite float32 value from an exact Python float, or false.
bool plain_float(PyObject* obj, float* value) {
  if (!PyFloat_CheckExact(obj)) return false;
  const double v = PyFloat_AS_DOUBLE(obj);
  if (!(std::fabs(v) <= 3.4028234663852886e38)) return false;  // NaN and inf fail too
  *value = static_cast<float>(v);
  return true;
}

// A plain array (see plain_array) as ImageView<T>: C order gives the strides.
template <typename T>
ImageView<T> plain_view(const py::array& a) {
  const int64_t h = a.shape(0), w = a.shape(1), c = a.shape(2);
  return ImageView<T>{static_cast<T*>(const_cast<void*>(a.data())), h, w, c, w * c, c};
}

// The array a plain call writes: `out` itself if it is plain with image's dtype and shape,
// a new C-contiguous array if `out` is None; None (nothing done) if either is not plain,
// so that the caller takes its general path. The kernel's binding still checks the rest
// (overlap, writability, arguments).
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

// ---------------------------------------------------------------- dispatch control

void register_checks(py::module_& m) {
  m.def("_elements_alias", [](const py::array& a) { return elements_alias(a); }, py::arg("a"),
        "True unless a's strides provably give every element its own bytes (the check every "
        "writable kernel argument gets), for the Python side's own out= handling.");
}

void register_simd(py::module_& m) {
  m.def("cpu_simd_level", [] { return std::string(simd_level_name(cpu_simd_level())); },
        "Best SIMD level this CPU supports.");
  m.def("active_simd_level", [] { return std::string(simd_level_name(active_simd_level())); },
        "SIMD level the kernels use now.");
  m.def(
      "_set_simd_level",
      [](const std::string& name) {
        SimdLevel level;
        if (!parse_simd_level(name.c_str(), &level))
          fail_value("level must be one of 'scalar', 'sse4', 'avx2', 'avx512', 'neon', got '" +
                     name + "'");
        if (!set_active_simd_level(level))
          fail_value("level '" + name + "' is not supported by this CPU (best: " +
                     simd_level_name(cpu_simd_level()) + ")");
      },
      "Testing hook: force the SIMD level for this process.");
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
  m.def(
      "_x86_level_from_cpuid",
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
      "Testing hook: (level, avx512vbmi) that x86 detection picks for these CPUID/XGETBV words.");
}

// ---------------------------------------------------------------- flip

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

}  // namespace

// ---------------------------------------------------------------- pipeline (run_plans)
#include <cmath>
#include <cstring>
#include <vector>

#include "pipeline/color_ops.hpp"
#include "random/philox.hpp"
#include "pipeline/run_plans.hpp"
#include "pipeline/thread_pool.hpp"

namespace {

// Arrays only: pybind11 would otherwise convert a list into a temporary array (and an
// `out` converted that way would silently lose the results).
py::array ndarray_arg(const py::object& obj, const char* name) {
  if (!py::isinstance<py::array>(obj))
    fail_type(std::string(name) + " must be a numpy.ndarray, got " +
              py::str(py::type::of(obj).attr("__name__")).cast<std::string>());
  return py::reinterpret_borrow<py::array>(obj);
}

enum class PixelType { u8, f32 };

PixelType pixel_type(const py::array& a, const char* name) {
  if (is_native(a)) {
    if (is_dtype(a, py::dtype::of<uint8_t>())) return PixelType::u8;
    if (is_dtype(a, py::dtype::of<float>())) return PixelType::f32;
  }
  fail_type(std::string(name) + " must have dtype uint8 or float32 (native byte order), got " +
            dtype_name(a));
}

// True unless the strides provably give every element its own bytes: sorted by stride, each
// axis must step past everything the smaller axes span. (Sufficient, and true for every
// slice or transpose of a fresh array.)
bool may_self_overlap(const py::array& a) {
  std::vector<std::pair<int64_t, int64_t>> axes;  // (|stride|, length)
  for (py::ssize_t k = 0; k < a.ndim(); ++k) {
    if (a.shape(k) == 0) return false;
    if (a.shape(k) > 1) axes.emplace_back(std::llabs(static_cast<long long>(a.strides(k))), a.shape(k));
  }
  std::sort(axes.begin(), axes.end());
  int64_t span = a.itemsize();
  for (const auto& axis : axes) {
    if (axis.first < span) return true;
    span += axis.first * (axis.second - 1);
  }
  return false;
}

// An (N, H, W, C) array of T with element-aligned strides and contiguous channels.
template <typename T>
ImageStack<T> stack_arg(const py::array& a, const char* name) {
  const int64_t s = sizeof(T);
  T* data = static_cast<T*>(const_cast<void*>(a.data()));
  if (a.size() == 0)  // numpy gives empty arrays zero strides; nothing will be read or written
    return ImageStack<T>{data, a.shape(0), a.shape(1), a.shape(2), a.shape(3), 0, 0, 0};
  for (int k = 0; k < 4; ++k)
    if (a.strides(k) % s != 0)
      fail_value(std::string(name) + " has strides that are not a multiple of its item size");
  if (reinterpret_cast<uintptr_t>(a.data()) % alignof(T) != 0)
    fail_value(std::string(name) + " is not aligned to its item size (pass a copy)");
  if (a.shape(3) > 1 && a.strides(3) != s)
    fail_value(std::string(name) + " must have contiguous channels (stride " + std::to_string(s) +
               " bytes on the last axis)");
  return ImageStack<T>{data,           a.shape(0),     a.shape(1),     a.shape(2),    a.shape(3),
                       a.strides(0) / s, a.strides(1) / s, a.strides(2) / s};
}

// Copies a native-endian array of T with exactly `shape` into a flat C-order vector, so
// the values cannot change (another Python thread) once validated and the GIL is released.
template <typename T>
std::vector<T> copy_array_arg(const py::object& obj, const char* name,
                              const std::vector<py::ssize_t>& shape, const char* expected) {
  const py::array a = ndarray_arg(obj, name);
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

template <typename Tin, typename Tout>
void run_plans_typed(const py::array& src, const py::array& out, const std::vector<int64_t>& indices,
                     const std::vector<AffineMatrix>& matrices, const std::vector<ImageOps>& ops,
                     const PlanSettings& settings) {
  const ImageStack<Tin> in = stack_arg<Tin>(src, "src");
  const ImageStack<Tout> dst = stack_arg<Tout>(out, "out");
  const ImageStack<const Tin> in_const{in.data,         in.count,      in.height,     in.width,
                                       in.channels,     in.image_stride, in.row_stride, in.col_stride};
  py::gil_scoped_release release;
  run_plans<Tin, Tout>(in_const, dst, indices.data(), matrices.data(), ops.data(), settings);
}

constexpr int kMaxThreads = 1024;

// Per image i, the non-zero entries of op_codes[i] (int32, (batch, K)) with their arguments
// op_args[i, k] = (a, b) (float32, (batch, K, 2)), checked by validate_plan_ops.
std::vector<ImageOps> plan_ops_arg(const py::object& codes_obj, const py::object& args_obj,
                                   py::ssize_t batch, int64_t channels) {
  const py::array codes_array = ndarray_arg(codes_obj, "op_codes");
  if (codes_array.ndim() != 2 || codes_array.shape(0) != batch)
    fail_value("op_codes must have shape (batch, ops) with batch = " + std::to_string(batch));
  const py::ssize_t width = codes_array.shape(1);
  if (width > kMaxColorOps)
    fail_value("op_codes may hold at most " + std::to_string(kMaxColorOps) + " ops per image, got " +
               std::to_string(width));
  const std::vector<int32_t> codes =
      copy_array_arg<int32_t>(codes_obj, "op_codes", {batch, width}, "int32 of shape (batch, ops)");
  const std::vector<float> args = copy_array_arg<float>(
      args_obj, "op_args", {batch, width * 2}, "float32 of shape (batch, ops * 2)");
  std::vector<ImageOps> ops(static_cast<size_t>(batch));
  for (py::ssize_t i = 0; i < batch; ++i) {
    ImageOps& o = ops[static_cast<size_t>(i)];
    for (py::ssize_t k = 0; k < width; ++k) {
      const int32_t code = codes[static_cast<size_t>(i * width + k)];
      if (code == 0) continue;
      if (code < 0 || code >= color_op_count())
        fail_value("op_codes[" + std::to_string(i) + ", " + std::to_string(k) + "] = " +
                   std::to_string(code) + " is not a colour op code");
      ColorOp& op = o.ops[o.count++];
      op.code = code;
      op.a = args[static_cast<size_t>((i * width + k) * 2)];
      op.b = args[static_cast<size_t>((i * width + k) * 2 + 1)];
    }
    const std::string problem = validate_plan_ops(o, channels);
    if (!problem.empty()) fail_value(problem + " (plan " + std::to_string(i) + ")");
  }
  return ops;
}

void run_plans_binding(const py::object& src_obj, const py::object& indices_obj,
                       const py::object& out_obj, const py::object& matrices_obj,
                       const py::object& op_codes_obj, const py::object& op_args_obj, int order,
                       int fill_mode, double cval, double rescale, int num_threads) {
  const py::array src = ndarray_arg(src_obj, "src");
  const py::array out = ndarray_arg(out_obj, "out");
  const PixelType src_type = pixel_type(src, "src");
  const PixelType out_type = pixel_type(out, "out");
  if (src.ndim() != 4)
    fail_value("src must have shape (images, height, width, channels), got ndim " +
               std::to_string(src.ndim()));
  if (out.ndim() != 4)
    fail_value("out must have shape (batch, height, width, channels), got ndim " +
               std::to_string(out.ndim()));
  if (src.shape(1) < 1 || src.shape(2) < 1 || src.shape(3) < 1)
    fail_value("src images must have height, width and channels >= 1");
  if (out.shape(1) < 1 || out.shape(2) < 1)
    fail_value("out images must have height and width >= 1");
  if (out.shape(3) != src.shape(3))
    fail_value("out must have as many channels as src (" + std::to_string(src.shape(3)) +
               "), got " + std::to_string(out.shape(3)));
  if (!out.writeable()) fail_value("out is read-only");
  if (may_self_overlap(out)) fail_value("out has overlapping elements (its strides alias memory)");
  check_no_overlap(src, out, "src", "out");

  const py::ssize_t batch = out.shape(0);
  const std::vector<int64_t> indices =
      copy_array_arg<int64_t>(indices_obj, "indices", {batch}, "int64 of shape (batch,)");
  for (size_t i = 0; i < indices.size(); ++i)
    if (indices[i] < 0 || indices[i] >= src.shape(0))
      fail_value("indices[" + std::to_string(i) + "] = " + std::to_string(indices[i]) +
                 " is out of range for src with " + std::to_string(src.shape(0)) + " images");

  const std::vector<double> flat =
      copy_array_arg<double>(matrices_obj, "matrices", {batch, 6}, "float64 of shape (batch, 6)");
  std::vector<AffineMatrix> matrices(static_cast<size_t>(batch));
  for (size_t i = 0; i < matrices.size(); ++i)
    for (int k = 0; k < 6; ++k) {
      const double v = flat[i * 6 + k];
      if (!std::isfinite(v))
        fail_value("matrices[" + std::to_string(i) + "] must be finite");
      matrices[i].m[k] = v;
    }

  if (order != 0 && order != 1) fail_value("order must be 0 or 1, got " + std::to_string(order));
  if (fill_mode < 0 || fill_mode > static_cast<int>(FillMode::mirror))
    fail_value("fill_mode must be 0..4 (constant, nearest, reflect, wrap, mirror), got " +
               std::to_string(fill_mode));
  if (!std::isfinite(cval)) fail_value("cval must be finite");
  if (!std::isfinite(rescale)) fail_value("rescale must be finite");
  if (num_threads < 0 || num_threads > kMaxThreads)
    fail_value("num_threads must be between 0 (all CPUs) and " + std::to_string(kMaxThreads) +
               ", got " + std::to_string(num_threads));
  const std::vector<ImageOps> ops = plan_ops_arg(op_codes_obj, op_args_obj, batch, src.shape(3));

  PlanSettings settings;
  settings.interp = static_cast<Interp>(order);
  settings.fill = static_cast<FillMode>(fill_mode);
  settings.cval = cval;
  settings.rescale = static_cast<float>(rescale);
  settings.num_threads = num_threads;
  if (src_type == PixelType::u8 && out_type == PixelType::u8)
    run_plans_typed<uint8_t, uint8_t>(src, out, indices, matrices, ops, settings);
  else if (src_type == PixelType::u8)
    run_plans_typed<uint8_t, float>(src, out, indices, matrices, ops, settings);
  else if (out_type == PixelType::u8)
    run_plans_typed<float, uint8_t>(src, out, indices, matrices, ops, settings);
  else
    run_plans_typed<float, float>(src, out, indices, matrices, ops, settings);
}

void register_pipeline(py::module_& m) {
  m.def("run_plans", &run_plans_binding, py::arg("src"), py::arg("indices"), py::arg("out"),
        py::arg("matrices"), py::arg("op_codes"), py::arg("op_args"), py::arg("order"),
        py::arg("fill_mode"), py::arg("cval"), py::arg("rescale"), py::arg("num_threads"),
        "Run one plan per output image: warp, colour ops, rescale, store (see fastaug._pipeline).");
  m.def(
      "keyed_uniforms",
      [](uint64_t seed, uint32_t epoch, const py::object& indices_obj,
         const std::vector<uint32_t>& streams) {
        const py::array idx = ndarray_arg(indices_obj, "indices");
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
  m.def(
      "color_ops",
      [] {
        py::dict table;
        for (int32_t code = 1; code < color_op_count(); ++code) table[color_op(code).name] = code;
        return table;
      },
      "The executor's colour-op table: name -> code (0 means no op).");
  m.def("available_cpus", &available_cpus, "CPUs this process may run on.");
  m.def(
      "_parallel_for_selftest",
      [](int64_t count, int num_threads, int64_t fail_at) {
        if (count < 0 || count > (int64_t{1} << 24)) fail_value("count must be in [0, 2**24]");
        if (num_threads < 0 || num_threads > kMaxThreads) fail_value("num_threads out of range");
        std::vector<int> runs(static_cast<size_t>(count), 0);
        {
          py::gil_scoped_release release;
          parallel_for(count, num_threads, [&](int64_t i) {
            if (i == fail_at) throw std::runtime_error("task " + std::to_string(i) + " failed");
            ++runs[static_cast<size_t>(i)];
          });
        }
        return runs;
      },
      py::arg("count"), py::arg("num_threads"), py::arg("fail_at") = -1,
      "Testing hook: run `count` tasks on the pool; returns how often each ran; task "
      "`fail_at` throws.");
}

}  // namespace

// ---------------------------------------------------------------- photometric
#include <cmath>
#include <vector>

#include "photometric/photometric.hpp"

namespace {

// Arrays only (a list would become a temporary, and results written to it would be lost).
py::array photometric_array_arg(const py::object& obj, const char* name) {
  if (!py::isinstance<py::array>(obj))
    fail_type(std::string(name) + " must be a numpy.ndarray, got " +
              py::str(py::type::of(obj).attr("__name__")).cast<std::string>());
  return py::reinterpret_borrow<py::array>(obj);
}

bool is_u8(const py::array& a) { return is_dtype(a, py::dtype::of<uint8_t>()); }
bool is_f32(const py::array& a) { return is_dtype(a, py::dtype::of<float>()); }

void check_u8_or_f32(const py::array& a, const char* name) {
  if (!(is_u8(a) || is_f32(a)) || !is_native(a))
    fail_type(std::string(name) + " must be uint8 or float32 (native byte order), got dtype " +
              dtype_name(a));
}

// image -> out of the same shape; out may be image itself (same data and strides) only.
void check_image_out_pair(const py::array& image, const py::array& out) {
  check_u8_or_f32(image, "image");
  check_u8_or_f32(out, "out");
  check_same_shape(image, out, "image", "out");
  check_no_overlap(image, out, "image", "out", /*allow_exact_alias=*/true);
}

float finite_float_arg(double v, const char* name) {
  if (!std::isfinite(v)) fail_value(std::string(name) + " must be finite, got " + std::to_string(v));
  if (std::fabs(v) > 3.4028234663852886e38)
    fail_value(std::string(name) + " must be a finite float32 value, got " + std::to_string(v));
  return static_cast<float>(v);
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
  const py::array image = photometric_array_arg(image_obj, "image");
  const py::array out = photometric_array_arg(out_obj, "out");
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
  const py::array image = photometric_array_arg(image_obj, "image");
  const py::array out = photometric_array_arg(out_obj, "out");
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
  const py::array image = photometric_array_arg(image_obj, "image");
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
  const py::array image = photometric_array_arg(image_obj, "image");
  const py::array out = photometric_array_arg(out_obj, "out");
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
  const py::array image = photometric_array_arg(image_obj, "image");
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

void register_photometric(py::module_& m) {
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
  m.def(
      "_brightness_u8_method",
      [](double factor, const std::string& rounding) {
        return std::string(brightness_u8_method(finite_float_arg(factor, "factor"), rounding_arg(rounding)));
      },
      py::arg("factor"), py::arg("rounding"),
      "Testing hook: how uint8 adjust_brightness runs for this factor at the active SIMD level "
      "('float', 'table', 'multiply', 'multiply+parity' or 'multiply+map').");
  m.def("_set_avx512vbmi", &set_avx512vbmi_enabled, py::arg("enabled"),
        "Testing hook: allow (default) or forbid the AVX-512 kernels' VBMI paths (byte "
        "tables, byte permutes); returns the previous setting.");
  m.def("_avx512vbmi", &avx512vbmi_enabled,
        "Whether the AVX-512 kernels take their VBMI paths now (CPU and hook).");
}

}  // namespace

// ---------------------------------------------------------------- warp_affine
#include <cmath>

#include "geometry/warp_affine.hpp"

namespace {

py::array warp_array_arg(const py::object& obj, const char* name) {
  if (!py::isinstance<py::array>(obj))
    fail_type(std::string(name) + " must be a numpy.ndarray, got " +
              py::str(py::type::of(obj).attr("__name__")).cast<std::string>());
  return py::reinterpret_borrow<py::array>(obj);
}

// A (2, 3) float64 array of finite numbers, copied before the GIL is released.
AffineMatrix warp_matrix_arg(const py::object& obj) {
  const py::array a = warp_array_arg(obj, "matrix");
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

// FillMode's names, in its order.
constexpr const char* kFillModeNames[] = {"constant", "nearest", "reflect", "wrap", "mirror"};
constexpr int kFillModes = sizeof(kFillModeNames) / sizeof(kFillModeNames[0]);

FillMode warp_fill_arg(const std::string& name) {
  for (int k = 0; k < kFillModes; ++k)
    if (name == kFillModeNames[k]) return static_cast<FillMode>(k);
  fail_value("fill_mode must be one of 'constant', 'nearest', 'reflect', 'wrap', 'mirror', got '" +
             name + "'");
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
  const py::array image = warp_array_arg(image_obj, "image");
  const py::array out = warp_array_arg(out_obj, "out");
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

}  // namespace

PYBIND11_MODULE(_core, m, py::mod_gil_not_used()) {
  m.doc() = "fastaug native kernels (private; use fastaug.kernels)";
  fastaug_bindings::g_main_thread =
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
  register_checks(m);
  register_simd(m);
  register_flip(m);
  register_photometric(m);
  register_pipeline(m);
  register_warp(m);
}

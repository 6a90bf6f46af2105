// The plan executor: run_plans (one warp, colour ops, rescale and store per image, over
// the thread pool), its colour-op table, and the pool's CPU count.
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "common.hpp"
#include "pipeline/color_ops.hpp"
#include "pipeline/region_ops.hpp"
#include "pipeline/run_plans.hpp"
#include "pipeline/thread_pool.hpp"

namespace fastaug_bindings {
namespace {

using namespace fastaug;

enum class PixelType { u8, f32, u16 };

PixelType pixel_type(const py::array& a, const char* name) {
  if (is_native(a)) {
    if (is_dtype(a, py::dtype::of<uint8_t>())) return PixelType::u8;
    if (is_dtype(a, py::dtype::of<float>())) return PixelType::f32;
  }
  fail_type(std::string(name) + " must have dtype uint8 or float32 (native byte order), got " +
            dtype_name(a));
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

// A C-contiguous (N, C, H, W) array of T, described as run_plans's planar output.
template <typename T>
ImageStack<T> planar_stack_arg(const py::array& a, const char* name) {
  if (!(a.flags() & py::array::c_style))
    fail_value(std::string(name) + " must be C-contiguous for channels-first output");
  T* data = static_cast<T*>(const_cast<void*>(a.data()));
  return ImageStack<T>{data, a.shape(0), a.shape(2), a.shape(3), a.shape(1),
                       a.shape(1) * a.shape(2) * a.shape(3), a.shape(3), 1};
}

// What run_plans reads: an (N, H, W, C) array, or a list (or tuple) of (H, W, C) arrays of
// one dtype and channel count whose heights and widths may differ.
struct Sources {
  std::vector<py::array> arrays;  // the list's entries, or the one 4-D array
  bool stacked = false;
  PixelType type = PixelType::u8;
  int64_t count = 0, channels = 0;
};

Sources sources_arg(const py::object& obj) {
  Sources s;
  if (py::isinstance<py::list>(obj) || py::isinstance<py::tuple>(obj)) {
    const auto seq = py::reinterpret_borrow<py::sequence>(obj);
    if (seq.size() == 0) fail_value("src must hold at least one image");
    for (size_t i = 0; i < seq.size(); ++i) {
      const std::string name = "src[" + std::to_string(i) + "]";
      py::array a = array_arg(seq[i], name.c_str());
      const PixelType type = pixel_type(a, name.c_str());
      if (a.ndim() != 3)
        fail_value(name + " must have shape (height, width, channels), got ndim " +
                   std::to_string(a.ndim()));
      if (a.shape(0) < 1 || a.shape(1) < 1 || a.shape(2) < 1)
        fail_value(name + " must have height, width and channels >= 1");
      if (i == 0) {
        s.type = type;
        s.channels = a.shape(2);
      } else if (type != s.type || a.shape(2) != s.channels) {
        fail_value(name + " must have the dtype and channel count of src[0] (" +
                   dtype_name(s.arrays[0]) + ", " +
                   std::to_string(s.channels) + " channels), got " + dtype_name(a) + ", " +
                   std::to_string(a.shape(2)));
      }
      s.arrays.push_back(a);
    }
    s.count = static_cast<int64_t>(s.arrays.size());
    return s;
  }
  py::array a = array_arg(obj, "src");
  s.type = pixel_type(a, "src");
  if (a.ndim() != 4)
    fail_value("src must have shape (images, height, width, channels), or be a list of "
               "(height, width, channels) arrays, got ndim " + std::to_string(a.ndim()));
  if (a.shape(1) < 1 || a.shape(2) < 1 || a.shape(3) < 1)
    fail_value("src images must have height, width and channels >= 1");
  s.stacked = true;
  s.count = a.shape(0);
  s.channels = a.shape(3);
  s.arrays.push_back(a);
  return s;
}

// The source view of every output image: src's image indices[i].
template <typename T>
std::vector<ImageView<const T>> source_views(const Sources& s, const std::vector<int64_t>& indices) {
  std::vector<ImageView<const T>> views(indices.size());
  if (s.stacked) {
    const ImageStack<T> stack = stack_arg<T>(s.arrays[0], "src");
    for (size_t i = 0; i < indices.size(); ++i) views[i] = stack.image(indices[i]);
    return views;
  }
  std::vector<ImageView<const T>> entries;
  for (size_t k = 0; k < s.arrays.size(); ++k)
    entries.push_back(image_arg<T>(s.arrays[k], ("src[" + std::to_string(k) + "]").c_str(), false));
  for (size_t i = 0; i < indices.size(); ++i) views[i] = entries[static_cast<size_t>(indices[i])];
  return views;
}

template <typename Tin, typename Tout>
void run_plans_typed(const Sources& src, const py::array& out, const std::vector<int64_t>& indices,
                     const std::vector<AffineMatrix>& matrices, const std::vector<ImageOps>& ops,
                     const PlanSettings& settings) {
  const std::vector<ImageView<const Tin>> sources = source_views<Tin>(src, indices);
  const ImageStack<Tout> dst =
      settings.planar_output ? planar_stack_arg<Tout>(out, "out") : stack_arg<Tout>(out, "out");
  py::gil_scoped_release release;
  run_plans<Tin, Tout>(sources.data(), dst, matrices.data(), ops.data(), settings);
}

// Per image i, the non-zero entries of op_codes[i] (int32, (batch, K)) with their arguments
// op_args[i, k] = (a, b) (float32, (batch, K, 2)), checked by validate_plan_ops.
// before[i * (K + 1) + k]: how many of image i's first k op slots hold an op (its ops are
// compacted, so a region op placed after slot k runs after that many).
std::vector<ImageOps> plan_ops_arg(const py::object& codes_obj, const py::object& args_obj,
                                   py::ssize_t batch, int64_t channels, int64_t out_h,
                                   int64_t out_w, std::vector<int>* before) {
  const py::array codes_array = array_arg(codes_obj, "op_codes");
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
  before->assign(static_cast<size_t>(batch * (width + 1)), 0);
  for (py::ssize_t i = 0; i < batch; ++i) {
    ImageOps& o = ops[static_cast<size_t>(i)];
    for (py::ssize_t k = 0; k < width; ++k) {
      (*before)[static_cast<size_t>(i * (width + 1) + k)] = o.count;
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
    (*before)[static_cast<size_t>(i * (width + 1) + width)] = o.count;
    const std::string problem = validate_plan_ops(o, channels, out_h, out_w);
    if (!problem.empty()) fail_value(problem + " (plan " + std::to_string(i) + ")");
  }
  return ops;
}

// Region ops, per image i and slot k: region_ops[i, k * width : (k + 1) * width] = (code, after,
// top, left, height, width, key low word, key high word, values...) as float64 (batch, R *
// width) with R = `per_image`; code 0 leaves the slot empty; `after` counts the plan's op slots
// (op_codes' columns) before the region. Rectangles must lie inside the
// (out_h, out_w) image; uint8 images take fill values in [0, 255].
void region_ops_arg(const py::object& obj, int per_image, py::ssize_t batch, int64_t channels,
                    int64_t out_h, int64_t out_w, bool u8, const std::vector<int>& before,
                    std::vector<ImageOps>* ops) {
  const py::ssize_t slots = static_cast<py::ssize_t>(before.size()) / (batch ? batch : 1) - 1;
  if (per_image == 0 || obj.is_none()) return;
  if (per_image < 0 || per_image > kMaxRegionOps)
    fail_value("region ops per image must be in [0, " + std::to_string(kMaxRegionOps) + "], got " +
               std::to_string(per_image));
  const py::array a = array_arg(obj, "region_ops");
  if (a.ndim() != 2 || a.shape(0) != batch || a.shape(1) % per_image != 0 ||
      a.shape(1) / per_image < 9)
    fail_value("region_ops must have shape (batch, regions * (8 + values)) with batch = " +
               std::to_string(batch));
  const py::ssize_t width = a.shape(1) / per_image;
  const std::vector<double> v = copy_array_arg<double>(obj, "region_ops", {batch, a.shape(1)},
                                                       "float64 of shape (batch, regions * width)");
  const auto whole = [](double x) { return std::isfinite(x) && x == std::floor(x); };
  for (py::ssize_t i = 0; i < batch; ++i) {
    ImageOps& o = (*ops)[static_cast<size_t>(i)];
    for (int k = 0; k < per_image; ++k) {
      const double* e = &v[static_cast<size_t>(i * a.shape(1) + k * width)];
      const std::string where = "region_ops[" + std::to_string(i) + ", " + std::to_string(k) + "]";
      for (int j = 0; j < 8; ++j)
        if (!whole(e[j])) fail_value(where + ": code, position, rectangle and key must be integers");
      if (e[0] == 0) continue;
      if (e[0] < 0 || e[0] >= region_op_count()) fail_value(where + " is not a region op code");
      if (e[2] < 0 || e[3] < 0 || e[4] < 0 || e[5] < 0 || e[2] + e[4] > out_h ||
          e[3] + e[5] > out_w)
        fail_value(where + ": the rectangle must lie inside the " + std::to_string(out_h) + "x" +
                   std::to_string(out_w) + " image");
      if (e[6] < 0 || e[6] > 4294967295.0 || e[7] < 0 || e[7] > 4294967295.0)
        fail_value(where + ": key words must be 32-bit");
      RegionOp& r = o.regions[o.region_count++];
      r.code = static_cast<int32_t>(e[0]);
      // `after` counts op slots of the plan; the image's own ops skip its empty slots.
      r.after = e[1] < 0 || e[1] > static_cast<double>(slots)
                    ? -1
                    : before[static_cast<size_t>(i * (slots + 1) + static_cast<py::ssize_t>(e[1]))];
      r.top = static_cast<int64_t>(e[2]);
      r.left = static_cast<int64_t>(e[3]);
      r.height = static_cast<int64_t>(e[4]);
      r.width = static_cast<int64_t>(e[5]);
      r.key[0] = static_cast<uint32_t>(e[6]);
      r.key[1] = static_cast<uint32_t>(e[7]);
      const py::ssize_t values = width - 8;
      r.value_count = values == 1 ? 1 : (values == channels ? static_cast<int>(channels) : -1);
      if (region_op(r.code).uses_values) {
        if (r.value_count < 0 || channels > kMaxRegionValues)
          fail_value(where + ": a fill needs 1 value or one per channel (" +
                     std::to_string(channels) + ", at most " + std::to_string(kMaxRegionValues) +
                     "), got " + std::to_string(values));
        for (int c = 0; c < r.value_count; ++c) {
          const double x = e[8 + c];
          if (!std::isfinite(x) || (u8 && (x < 0 || x > 255)) ||
              std::fabs(x) > 3.4028234663852886e38)
            fail_value(where + ": fill values must be finite" +
                       std::string(u8 ? " and in [0, 255] for uint8 images" : "") + ", got " +
                       std::to_string(x));
          r.values[c] = static_cast<float>(x);
        }
      }
    }
    const std::string problem = validate_plan_ops(o, channels, out_h, out_w);
    if (!problem.empty()) fail_value(problem + " (plan " + std::to_string(i) + ")");
  }
}

void run_plans_binding(const py::object& src_obj, const py::object& indices_obj,
                       const py::object& out_obj, const py::object& matrices_obj,
                       const py::object& op_codes_obj, const py::object& op_args_obj, int order,
                       int fill_mode, double cval, double rescale, int num_threads,
                       bool antialias, const std::vector<double>& normalize_scale,
                       const std::vector<double>& normalize_offset, const py::object& region_ops,
                       int regions_per_image, bool planar_out, int half_format) {
  const Sources src = sources_arg(src_obj);
  const py::array out = array_arg(out_obj, "out");
  const PixelType src_type = src.type;
  if (half_format != 0 && half_format != static_cast<int>(HalfFormat::float16) &&
      half_format != static_cast<int>(HalfFormat::bfloat16))
    fail_value("half_format must be 0 (none), 1 (float16) or 2 (bfloat16), got " +
               std::to_string(half_format));
  if (half_format && !(is_native(out) && is_dtype(out, py::dtype::of<uint16_t>())))
    fail_type("out must be uint16 (the 16-bit floats' bits) with half_format, got " +
              dtype_name(out));
  const PixelType out_type = half_format ? PixelType::u16 : pixel_type(out, "out");
  if (out.ndim() != 4)
    fail_value(std::string("out must have shape ") +
               (planar_out ? "(batch, channels, height, width)" : "(batch, height, width, channels)") +
               ", got ndim " + std::to_string(out.ndim()));
  // The output's axes (height, width, channels), whichever its layout.
  const py::ssize_t out_h = out.shape(planar_out ? 2 : 1), out_w = out.shape(planar_out ? 3 : 2),
                    out_c = out.shape(planar_out ? 1 : 3);
  if (out_h < 1 || out_w < 1)
    fail_value("out images must have height and width >= 1");
  if (out_c != src.channels)
    fail_value("out must have as many channels as src (" + std::to_string(src.channels) +
               "), got " + std::to_string(out_c));
  if (!out.writeable()) fail_value("out is read-only");
  if (elements_alias(out)) fail_value("out has overlapping elements (its strides alias memory)");
  for (size_t k = 0; k < src.arrays.size(); ++k)
    check_no_overlap(src.arrays[k], out,
                     src.stacked ? "src" : ("src[" + std::to_string(k) + "]").c_str(), "out");

  const py::ssize_t batch = out.shape(0);
  const std::vector<int64_t> indices =
      copy_array_arg<int64_t>(indices_obj, "indices", {batch}, "int64 of shape (batch,)");
  for (size_t i = 0; i < indices.size(); ++i)
    if (indices[i] < 0 || indices[i] >= src.count)
      fail_value("indices[" + std::to_string(i) + "] = " + std::to_string(indices[i]) +
                 " is out of range for src with " + std::to_string(src.count) + " images");

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
  if (fill_mode < 0 || fill_mode >= kFillModes)
    fail_value("fill_mode must be a code 0.." + std::to_string(kFillModes - 1) + " (" +
               fill_mode_list() + "), got " + std::to_string(fill_mode));
  if (!std::isfinite(cval)) fail_value("cval must be finite");
  if (!std::isfinite(rescale)) fail_value("rescale must be finite");
  if (num_threads < 0 || num_threads > kMaxThreads)
    fail_value("num_threads must be between 0 (all CPUs) and " + std::to_string(kMaxThreads) +
               ", got " + std::to_string(num_threads));
  std::vector<int> before;
  std::vector<ImageOps> ops = plan_ops_arg(op_codes_obj, op_args_obj, batch, src.channels,
                                           out_h, out_w, &before);
  region_ops_arg(region_ops, regions_per_image, batch, src.channels, out_h, out_w,
                 src_type == PixelType::u8, before, &ops);

  PlanSettings settings;
  settings.interp = static_cast<Interp>(order);
  settings.fill = static_cast<FillMode>(fill_mode);
  settings.cval = cval;
  settings.rescale = static_cast<float>(rescale);
  settings.num_threads = num_threads;
  settings.antialias = antialias;
  settings.planar_output = planar_out;
  if (!normalize_scale.empty() || !normalize_offset.empty()) {
    const auto channels = static_cast<size_t>(src.channels);
    if (normalize_scale.size() != channels || normalize_offset.size() != channels)
      fail_value("normalize_scale and normalize_offset must have one value per channel (" +
                 std::to_string(channels) + ")");
    if (channels > static_cast<size_t>(kMaxNormalizeChannels))
      fail_value("normalisation supports at most " + std::to_string(kMaxNormalizeChannels) +
                 " channels");
    if (out_type == PixelType::u8) fail_type("out must be float32 when normalising");
    for (size_t i = 0; i < ops.size(); ++i)
      if (ops[i].count && color_op(ops[i].ops[0].code).family != ColorOpFamily::in_dtype)
        fail_value("normalisation follows in-dtype colour ops only (plan " + std::to_string(i) +
                   ")");
    for (size_t k = 0; k < channels; ++k) {
      settings.scale[k] = finite_float_arg(normalize_scale[k], "normalize_scale");
      settings.offset[k] = finite_float_arg(normalize_offset[k], "normalize_offset");
    }
    settings.normalize_channels = static_cast<int>(channels);
  }
  if (half_format) {
    if (settings.normalize_channels == 0) fail_value("half_format needs the normalisation");
    settings.half_output = true;
    settings.half = static_cast<HalfFormat>(half_format);
  }
  if (out_type == PixelType::u16 && src_type == PixelType::u8)
    run_plans_typed<uint8_t, uint16_t>(src, out, indices, matrices, ops, settings);
  else if (out_type == PixelType::u16)
    run_plans_typed<float, uint16_t>(src, out, indices, matrices, ops, settings);
  else if (src_type == PixelType::u8 && out_type == PixelType::u8)
    run_plans_typed<uint8_t, uint8_t>(src, out, indices, matrices, ops, settings);
  else if (src_type == PixelType::u8)
    run_plans_typed<uint8_t, float>(src, out, indices, matrices, ops, settings);
  else if (out_type == PixelType::u8)
    run_plans_typed<float, uint8_t>(src, out, indices, matrices, ops, settings);
  else
    run_plans_typed<float, float>(src, out, indices, matrices, ops, settings);
}

}  // namespace

void register_pipeline(py::module_& m, py::module_& testing) {
  m.def("run_plans", &run_plans_binding, py::arg("src"), py::arg("indices"), py::arg("out"),
        py::arg("matrices"), py::arg("op_codes"), py::arg("op_args"), py::arg("order"),
        py::arg("fill_mode"), py::arg("cval"), py::arg("rescale"), py::arg("num_threads"),
        py::arg("antialias") = false, py::arg("normalize_scale") = std::vector<double>{},
        py::arg("normalize_offset") = std::vector<double>{}, py::arg("region_ops") = py::none(),
        py::arg("regions_per_image") = 0, py::arg("planar_out") = false,
        py::arg("half_format") = 0,
        "Run one plan per output image: warp (or antialiased resampling), colour and region "
        "ops, rescale, store (see fastaug._pipeline).");
  m.attr("MAX_REGION_OPS") = kMaxRegionOps;
  m.def(
      "region_ops",
      [] {
        py::dict table;
        for (int32_t code = 1; code < region_op_count(); ++code) table[region_op(code).name] = code;
        return table;
      },
      "The executor's region-op table: name -> code (0 means no op).");
  m.attr("MAX_COLOR_OPS") = kMaxColorOps;
  m.def(
      "color_ops",
      [] {
        py::dict table;
        for (int32_t code = 1; code < color_op_count(); ++code) table[color_op(code).name] = code;
        return table;
      },
      "The executor's colour-op table: name -> code (0 means no op).");
  m.def("available_cpus", &available_cpus, "CPUs this process may run on.");
  testing.def(
      "parallel_for_selftest",
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
      "Run `count` tasks on the pool; returns how often each ran; task "
      "`fail_at` throws.");
}

}  // namespace fastaug_bindings

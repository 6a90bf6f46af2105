"""The plan run on torch tensors, on whatever device they live: batched tensor ops, no loop
over images.

Parameters are drawn on the host exactly as for numpy input (the same keyed stream); only
the small per-image tensors (matrices, filter weights, op arguments) go to the device. The
steps follow the native executor (docs/design.md): the warp with scipy's boundary rules and
pixel-centre convention, or, for axis-aligned plans with antialiasing, the separable
resampling (triangle filter, support scaled by the factor) as two batched matrix products;
then the in-dtype colour ops with torchvision's formulas (uint8 values kept as integers in
float32, truncated or rounded where torchvision's uint8 kernels are), region fills,
normalisation and the output dtype. uint8 results agree with the native pass within one
level (rounding of the filter weights, which the native uint8 kernel holds in fixed point).

Not supported on torch tensors yet (a ValueError names the transform): GaussianBlur,
RandomAdjustSharpness, Equalize, the RandAugment/TrivialAugmentWide policies, and random
region fills.
"""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

import numpy as np

from ._pipeline import COLOR_OPS, REGION_OPS

__all__ = ["is_tensor", "run_plan_torch"]

_NAMES = {code: name for name, code in COLOR_OPS.items()}
SUPPORTED_OPS = ("multiply_add", "brightness", "channel_add", "solarize", "contrast",
                 "saturation", "hue",
                 "grayscale", "invert", "posterize", "autocontrast", "solarize_fraction")
# Colour ops defined on gray or RGB images only (the native table's gray_or_rgb).
_GRAY_OR_RGB = ("contrast", "saturation", "hue", "grayscale", "autocontrast", "sharpness")
# Which transform emits an op, for the error that refuses it on tensors.
_OWNERS = {"keras_channel_shift": "Augment's channel shift",
           "keras_brightness": "Augment's brightness",
           "multiply_add": "Augment's brightness or channel shift",
           "gaussian_blur": "GaussianBlur", "sharpness": "RandomAdjustSharpness",
           "equalize": "Equalize", "shear_x": "RandAugment/TrivialAugmentWide",
           "shear_y": "RandAugment/TrivialAugmentWide",
           "translate_x": "RandAugment/TrivialAugmentWide",
           "translate_y": "RandAugment/TrivialAugmentWide",
           "rotate": "RandAugment/TrivialAugmentWide"}


def is_tensor(value: Any) -> bool:
    """Whether ``value`` is a torch tensor (without importing torch when it is not)."""
    return type(value).__module__.startswith("torch") and hasattr(value, "device")


def _torch():
    import torch

    return torch


# ---------------------------------------------------------------- geometry

def _map_coordinate(v, n: int, mode: str):
    """scipy.ndimage's map_coordinate for one axis of length n (float64): where a sample
    coordinate outside [0, n - 1] is read (constant mode is handled by the caller)."""
    torch = _torch()
    if mode == "nearest":
        return v.clamp(0, n - 1)
    if mode == "constant":
        return v
    if n <= 1:
        return torch.zeros_like(v)
    if mode == "mirror":
        sz2 = 2.0 * n - 2
        t = sz2 * torch.trunc(-v / sz2) + v
        low = torch.where(t <= 1 - n, t + sz2, -t)
        t = v - sz2 * torch.trunc(v / sz2)
        high = torch.where(t >= n, sz2 - t, t)
    elif mode == "reflect":
        sz2 = 2.0 * n
        t = torch.where(v < -sz2, sz2 * torch.trunc(-v / sz2) + v, v)
        low = torch.where(t < -n, t + sz2, torch.where(t > -1e-15, 1e-15, -t) - 1)
        t = v - sz2 * torch.trunc(v / sz2)
        high = torch.where(t >= n, sz2 - t - 1, t)
    else:  # wrap: scipy's period of n - 1
        sz = n - 1.0
        low = v + sz * (torch.trunc(-v / sz) + 1)
        high = v - sz * torch.trunc(v / sz)
    out = torch.where(v < 0, low, torch.where(v > n - 1, high, v))
    return torch.where(out > n, torch.full_like(out, n - 1.0), out)  # lost precision


def _map_tap(i, n: int, mode: str):
    """Where scipy reads an interpolation tap outside the axis: reflect and nearest by their
    own rule, every other mode mirrors."""
    torch = _torch()
    if n <= 1:
        return torch.zeros_like(i)
    if mode == "nearest":
        low, high = torch.zeros_like(i), torch.full_like(i, n - 1)
    elif mode == "reflect":
        low, high = -1 - i, 2 * n - 1 - i
    else:
        low, high = -i, 2 * n - 2 - i
    return torch.where(i < 0, low, torch.where(i >= n, high, i)).clamp(0, n - 1)


def _warp(x, rows: np.ndarray, size: Tuple[int, int], order: int, mode: str, cval: float):
    """Pull every output pixel (r, c) from in_r = m0 r + m1 c + m2, in_c = m3 r + m4 c + m5
    (float64, as scipy forms them), scipy's rules at the borders; x (B, C, H, W) float32."""
    torch = _torch()
    b, ch, h, w = x.shape
    oh, ow = size
    m = torch.as_tensor(rows, dtype=torch.float64, device=x.device)
    r = torch.arange(oh, dtype=torch.float64, device=x.device)[None, :, None]
    c = torch.arange(ow, dtype=torch.float64, device=x.device)[None, None, :]
    # scipy adds the offset first: (b + a00 r) + a01 c
    yr = (m[:, 2, None, None] + r * m[:, 0, None, None]) + c * m[:, 1, None, None]
    xc = (m[:, 5, None, None] + r * m[:, 3, None, None]) + c * m[:, 4, None, None]
    outside = None
    if mode == "constant":
        outside = ~((yr >= 0) & (yr <= h - 1) & (xc >= 0) & (xc <= w - 1))  # NaN: outside
        yr, xc = torch.nan_to_num(yr).clamp(0, h - 1), torch.nan_to_num(xc).clamp(0, w - 1)
    yr, xc = _map_coordinate(yr, h, mode), _map_coordinate(xc, w, mode)
    flat = x.reshape(b, ch, h * w)

    def gather(iy, ix):
        index = (_map_tap(iy, h, mode) * w + _map_tap(ix, w, mode)).reshape(b, 1, oh * ow)
        return flat.gather(2, index.expand(b, ch, oh * ow)).reshape(b, ch, oh, ow)

    if order == 0:
        out = gather(torch.floor(yr + 0.5).long(), torch.floor(xc + 0.5).long())
    else:
        y0, x0 = torch.floor(yr), torch.floor(xc)
        fy, fx = (yr - y0)[:, None], (xc - x0)[:, None]
        y0, x0 = y0.long(), x0.long()
        xd = x.to(torch.float64)
        flat = xd.reshape(b, ch, h * w)

        def tap(v, weight):  # a weight of 0 reads nothing, as in the native pass: a whole-
            # pixel move must not turn a neighbouring inf into NaN (inf * 0)
            return torch.where(weight == 0, torch.zeros_like(v), v * weight)

        top = tap(gather(y0, x0), 1 - fx) + tap(gather(y0, x0 + 1), fx)
        bottom = tap(gather(y0 + 1, x0), 1 - fx) + tap(gather(y0 + 1, x0 + 1), fx)
        out = (tap(top, 1 - fy) + tap(bottom, fy)).to(x.dtype)
    if outside is not None:
        out = torch.where(outside[:, None], torch.full_like(out, cval), out)
    return out


def _axis(m0: float, m2: float, size: int, source: int):
    """(scale, start, lo, hi) of an axis-aligned axis, as the native resampler reads it, or
    None when the window leaves the source."""
    if not m0 > 0:
        return None
    start = m2 + 0.5 - 0.5 * m0
    end = start + m0 * size
    tolerance = 1e-6 * (1.0 + abs(end))
    if start < -tolerance or end > source + tolerance:
        return None
    lo, hi = round(start), round(end)
    if abs(start - lo) <= tolerance and abs(end - hi) <= tolerance and hi > lo:
        return (hi - lo) / size, float(lo), int(lo), int(hi)  # a crop resized on its own
    return m0, start, 0, source


def _weights(axis, size: int, source: int) -> np.ndarray:
    """(size, source) triangle-filter weights of one axis (torchvision's antialiased
    bilinear: support max(1, scale), normalised per output pixel, bounded by the box)."""
    scale, start, lo, hi = axis
    filter_scale = max(scale, 1.0)
    centre = scale * (np.arange(size) + 0.5) + (start - lo)
    first = np.maximum((centre - filter_scale + 0.5).astype(np.int64), 0)
    last = np.minimum((centre + filter_scale + 0.5).astype(np.int64), hi - lo)
    j = np.arange(hi - lo)[None, :]
    d = np.abs((j - centre[:, None] + 0.5) / filter_scale)
    w = np.where((j >= first[:, None]) & (j < last[:, None]) & (d < 1.0), 1.0 - d, 0.0)
    total = w.sum(axis=1, keepdims=True)
    w = np.divide(w, total, out=np.zeros_like(w), where=total != 0)
    out = np.zeros((size, source))
    out[:, lo:hi] = w
    return out


def _fixed_point(w: np.ndarray) -> Tuple[np.ndarray, int]:
    """The native uint8 resampler's weights: round(w * 2^p) with the largest p <= 22 that
    keeps every weight below 2^15 (as torchvision's uint8 kernel forms them)."""
    largest, precision = float(w.max(initial=0.0)), 0
    while precision < 22 and int(0.5 + largest * 2 ** (precision + 1)) < 2 ** 15:
        precision += 1
    return np.floor(w * 2 ** precision + 0.5), precision


def _resample_u8(x, wy: np.ndarray, wx: np.ndarray):
    """The native uint8 passes: x first into rounded uint8 rows, then y, each a sum of
    fixed-point products rounded half up, shifted and clamped (exact in float64, on every
    device: float32 weights drift by a level here and there, which colour ops then amplify)."""
    torch = _torch()
    out = x.to(torch.float64)
    for axis, weights in ((3, wx), (2, wy)):
        fixed = np.empty_like(weights)
        shift = np.empty(len(weights))
        for i, w in enumerate(weights):
            fixed[i], precision = _fixed_point(w)
            shift[i] = 2.0 ** precision
        f = torch.as_tensor(fixed, device=x.device)
        s = torch.as_tensor(shift, device=x.device)[:, None, None, None]
        out = (torch.matmul(out, f.transpose(1, 2)[:, None]) if axis == 3
               else torch.matmul(f[:, None], out))
        out = torch.floor((out + torch.floor(s / 2)) / s).clamp(0, 255)
    return out.to(torch.float32)


def _banded_matmul(weights, data, left: bool):
    """weights @ data (``left``) or data @ weights, where only the non-zero weights read a
    pixel, as the native resampler's taps: a dense product gives 0 * NaN = NaN, so one NaN
    or inf would fill its whole row or column. Non-finite values go through the support."""
    torch = _torch()

    def product(w, d):
        return torch.matmul(w, d) if left else torch.matmul(d, w)

    finite = torch.isfinite(data)
    if data.device.type == "meta" or bool(finite.all()):  # meta: shapes only, no values
        return product(weights, data)
    out = product(weights, torch.where(finite, data, torch.zeros_like(data)))
    support = (weights != 0).to(data.dtype)

    def reach(flags):
        return product(support, flags.to(data.dtype)) > 0

    pos, neg, nan = reach(data == float("inf")), reach(data == float("-inf")), reach(data != data)
    out = torch.where(pos, torch.full_like(out, float("inf")), out)
    out = torch.where(neg, torch.full_like(out, float("-inf")), out)
    return torch.where(nan | (pos & neg), torch.full_like(out, float("nan")), out)


def _resample_weights(rows: np.ndarray, size: Tuple[int, int], source: Tuple[int, int]):
    """Per image (Wy (oh, H), Wx (ow, W)) when every plan is axis-aligned inside the source
    (flips as reversed outputs), else None."""
    oh, ow = size
    h, w = source
    if np.any(rows[:, 1] != 0) or np.any(rows[:, 3] != 0) or np.any(rows[:, [0, 4]] == 0):
        return None
    wy, wx = np.zeros((len(rows), oh, h)), np.zeros((len(rows), ow, w))
    for i, (m0, _, m2, _, m4, m5) in enumerate(rows):
        flip_y, flip_x = m0 < 0, m4 < 0
        if flip_y:
            m2, m0 = m2 + m0 * (oh - 1), -m0
        if flip_x:
            m5, m4 = m5 + m4 * (ow - 1), -m4
        ay, ax = _axis(m0, m2, oh, h), _axis(m4, m5, ow, w)
        if ay is None or ax is None:
            return None
        wy[i] = _weights(ay, oh, h)[::-1] if flip_y else _weights(ay, oh, h)
        wx[i] = _weights(ax, ow, w)[::-1] if flip_x else _weights(ax, ow, w)
    return wy, wx


# ---------------------------------------------------------------- colour ops

def _luma(x):
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    return (r * 0.2989 + g * 0.587 + b * 0.114)[:, None]


def _blend(x, other, ratio, u8: bool):
    bound = 255.0 if u8 else 1.0
    out = (x * ratio + other * (1.0 - ratio)).clamp(0.0, bound)
    return out.trunc() if u8 else out


def _hue(x, shift, u8: bool):
    torch = _torch()
    v = x / 255.0 if u8 else x
    maxc, _ = v.max(dim=1)
    minc, _ = v.min(dim=1)
    r, g, b = v[:, 0], v[:, 1], v[:, 2]
    equal = maxc == minc
    span = maxc - minc
    one = torch.ones_like(maxc)
    s = span / torch.where(equal, one, maxc)
    divisor = torch.where(equal, one, span)
    rc, gc, bc = (maxc - r) / divisor, (maxc - g) / divisor, (maxc - b) / divisor
    not_r, is_g = maxc != r, maxc == g
    h = ((bc - gc) * ~not_r + (rc + 2.0 - bc) * (is_g & not_r)
         + (gc + 4.0 - rc) * (not_r & ~is_g))
    h = torch.fmod(h * (1.0 / 6.0) + 1.0, 1.0)
    h = torch.remainder(h + shift[:, 0, 0, 0][:, None, None], 1.0)
    h6 = h * 6
    i = torch.floor(h6)
    f = h6 - i
    i = torch.remainder(i.long(), 6)
    p = ((1.0 - s) * maxc).clamp(0, 1)
    q = ((1.0 - s * f) * maxc).clamp(0, 1)
    t = ((s * f + (1.0 - s)) * maxc).clamp(0, 1)
    vpqt = torch.stack([maxc, p, q, t], dim=1)
    select = torch.tensor([[0, 2, 1, 1, 3, 0], [3, 0, 0, 2, 1, 1], [1, 1, 3, 0, 0, 2]],
                          device=x.device)[:, i].moveaxis(0, 1)
    out = vpqt.gather(1, select)
    return (out * (255.0 + 1.0 - 1e-3)).trunc() if u8 else out


def _apply_op(name: str, x, a, b, u8: bool):
    """One colour op on a sub-batch x (n, C, H, W) with per-image arguments a, b (n,1,1,1)."""
    torch = _torch()
    bound = 255.0 if u8 else 1.0
    channels = x.shape[1]
    if name == "multiply_add":
        return x * a + b
    if name == "brightness":
        out = (x * a).clamp(0.0, bound)
        return out.trunc() if u8 else out
    if name == "channel_add":
        return (x + a).round().clamp(0, 255) if u8 else x + a
    if name in ("solarize", "solarize_fraction"):
        threshold = a * 255.0 if (name == "solarize_fraction" and u8) else a
        if u8:
            threshold = torch.ceil(threshold)
        return torch.where(x >= threshold, bound - x, x)
    if name == "invert":
        return bound - x
    if name == "posterize":
        bits = a.clamp(0, 8).floor()
        if u8:
            step = torch.pow(2.0, 8 - bits)
            return torch.floor(x / step) * step
        levels = torch.pow(2.0, bits)
        return torch.minimum(torch.floor(x * levels).clamp(min=0), levels - 1) / levels
    if name == "autocontrast":
        lo = x.amin(dim=(2, 3), keepdim=True)
        hi = x.amax(dim=(2, 3), keepdim=True)
        same = hi == lo
        per_level = torch.where(same, torch.ones_like(hi), (hi - lo) * (1.0 / bound))
        out = ((x - torch.where(same, torch.zeros_like(lo), lo)) / per_level).clamp(0, bound)
        return out.trunc() if u8 else out
    rest = torch.where(b != 0, b, 1.0 - a)
    if name == "contrast":
        gray = _luma(x) if channels == 3 else x[:, :1]
        if u8 and channels == 3:
            gray = gray.floor()
        mean = gray.mean(dim=(1, 2, 3), keepdim=True)
        out = (x * a + mean * rest).clamp(0.0, bound)
        return out.trunc() if u8 else out
    if channels == 1:
        return x  # saturation, hue and grayscale leave one channel as it is
    if name == "saturation":
        gray = _luma(x)
        if u8:
            gray = gray.floor()
        out = (x * a + gray * rest).clamp(0.0, bound)
        return out.trunc() if u8 else out
    if name == "hue":
        return _hue(x, a, u8)
    if name == "grayscale":
        gray = _luma(x)
        return (gray.trunc() if u8 else gray).expand_as(x).clone()
    raise AssertionError(name)


def _regions(x, regions: Optional[np.ndarray], slot: int, last: bool):
    """The constant-fill rectangles (the one region op tensors support) placed before op
    slot ``slot`` (after every slot when ``last``), per image."""
    torch = _torch()
    if regions is None:
        return x
    after = regions[:, :, 1]
    chosen = after >= slot if last else after == slot
    if not chosen.any():
        return x
    regions = regions.copy()
    regions[:, :, 0] = np.where(chosen, regions[:, :, 0], 0)
    b, ch, h, w = x.shape
    rows = torch.arange(h, device=x.device)[None, :, None]
    cols = torch.arange(w, device=x.device)[None, None, :]
    for k in range(regions.shape[1]):
        r = torch.as_tensor(regions[:, k], dtype=torch.float64, device=x.device)
        top, left, height, width = (r[:, j, None, None] for j in range(2, 6))
        inside = ((r[:, 0, None, None] != 0) & (rows >= top) & (rows < top + height)
                  & (cols >= left) & (cols < left + width))
        values = r[:, 8:].to(x.dtype)
        values = values.expand(b, ch) if values.shape[1] == 1 else values
        x = torch.where(inside[:, None], values[:, :, None, None], x)
    return x


# ---------------------------------------------------------------- the plan

# Transforms whose ops have no tensor version yet.
UNSUPPORTED_TRANSFORMS = ("GaussianBlur", "RandomAdjustSharpness", "Equalize", "RandAugment",
                          "TrivialAugmentWide")


def check_transforms(transforms, device) -> None:
    """Refuse, by name, a pipeline holding a transform tensors cannot run yet."""
    for t in transforms:
        if type(t).__name__ in UNSUPPORTED_TRANSFORMS:
            raise ValueError(f"{type(t).__name__} does not run on torch tensors yet "
                             f"({device}); pass numpy arrays for it")


def _refuse(plan, device) -> None:
    codes, _ = plan.ops()
    for code in np.unique(codes[codes != 0]).tolist():
        name = _NAMES[int(code)]
        if name not in SUPPORTED_OPS:
            raise ValueError(f"{_OWNERS.get(name, name)} (colour op {name!r}) does not run on "
                             f"torch tensors yet ({device}); pass numpy arrays for it")
    for region in plan.regions:
        used = np.unique(region.codes[region.codes != 0]).tolist()
        if any(c != REGION_OPS["fill"] for c in used):
            owner = type(region.owner).__name__ if region.owner is not None else "a region op"
            raise ValueError(f"{owner} with a random fill does not run on torch tensors yet "
                             f"({device}); use a constant value, or numpy arrays")


def run_plan_torch(plan, images, normalize: Optional[Tuple[List[float], List[float]]],
                   out_dtype, channels_first_out: bool = True):
    """Run ``plan`` on ``images``, a (B, C, H, W) uint8 or float32 tensor; returns the
    (B, C, h, w) result (or (B, h, w, C)) on the same device, of torch dtype ``out_dtype``."""
    torch = _torch()
    device = images.device
    _refuse(plan, device)
    u8 = images.dtype == torch.uint8
    b, ch, h, w = images.shape
    rows = plan.kernel_rows()
    bad = np.flatnonzero(~np.isfinite(rows).all(axis=1))
    if bad.size:  # as the native pass refuses it: a warp of inf/NaN coordinates is garbage
        raise ValueError(f"image {int(bad[0])}'s transform matrix is not finite (an extreme "
                         f"scale, such as Affine's, overflowed)")
    codes, args = plan.ops()
    regions = plan.region_array(ch)
    # Augment's multiply_add acts on the unrounded warp and rounds once, half to even, at
    # the store; an image without it rounds at the warp, half up, as scipy casts. The
    # in-dtype ops (torchvision's) take the warp rounded to uint8, as do uint8 outputs.
    float_stage = bool(np.any(codes == COLOR_OPS["multiply_add"]))
    round_warp = u8 and not float_stage and (
        plan.antialias or normalize is not None or regions is not None or bool(codes.any())
        or out_dtype == torch.uint8)
    weights = _resample_weights(rows, plan.size, (h, w)) if plan.antialias else None
    identity = np.array_equal(rows, np.tile([1.0, 0, 0, 0, 1.0, 0], (b, 1))) and \
        tuple(plan.size) == (h, w)
    # Without a warp the colour ops below write into x in place: for float32 input .to()
    # would return the caller's tensor itself.
    x = images.to(torch.float32, copy=identity)
    if not identity and weights is not None and u8:
        x = _resample_u8(x, *weights)
    elif not identity and weights is not None:
        wy = torch.as_tensor(weights[0], dtype=torch.float32, device=device)
        wx = torch.as_tensor(weights[1], dtype=torch.float32, device=device)
        x = _banded_matmul(wy[:, None], _banded_matmul(wx.transpose(1, 2)[:, None], x, False),
                           True)
    elif not identity:
        x = _warp(x, rows, plan.size, plan.order, plan.fill_mode, plan.cval)
        if round_warp:
            x = torch.floor(x + 0.5).clamp(0, 255)  # scipy's cast: half up, saturated
    slots = codes.shape[1]
    if device.type == "meta" and codes.any():  # torch.nonzero below has no meta kernel
        raise ValueError("colour ops need pixel values: images on the meta device have none")
    for region in plan.regions:  # the native run's check (a broadcast error, or none, here)
        if region.values.shape[1] not in (1, ch):
            name = type(region.owner).__name__ if region.owner is not None else "a region op"
            raise ValueError(f"{name}: its fill has {region.values.shape[1]} values; the "
                             f"images have {ch} channels (give 1 or {ch})")
    for code in np.unique(codes).tolist():  # the native pass's check, before any indexing
        if _NAMES.get(code) in _GRAY_OR_RGB and ch not in (1, 3):
            raise ValueError(f"{_NAMES[code]} needs 1 or 3 channels, got {ch}")
    ops_codes = torch.as_tensor(codes, device=device)
    for k in range(slots + 1):
        # A region op runs after the number of op slots it names, as in the native pass.
        x = _regions(x, regions, k, last=k == slots)
        if k == slots:
            break
        a = torch.as_tensor(args[:, k, 0], dtype=torch.float32, device=device)[:, None, None, None]
        bb = torch.as_tensor(args[:, k, 1], dtype=torch.float32, device=device)[:, None, None, None]
        for code in np.unique(codes[:, k]).tolist():
            if code == 0:
                continue
            where = torch.nonzero(ops_codes[:, k] == code).flatten()
            x[where] = _apply_op(_NAMES[code], x[where], a[where], bb[where], u8)
    if normalize is not None:
        scale = torch.as_tensor(normalize[0], dtype=torch.float32, device=device)
        offset = torch.as_tensor(normalize[1], dtype=torch.float32, device=device)
        x = x * scale[None, :, None, None] + offset[None, :, None, None]
    if out_dtype == torch.uint8 and float_stage:
        on = torch.as_tensor((codes == COLOR_OPS["multiply_add"]).any(axis=1),
                             device=device)[:, None, None, None]
        x = torch.where(on, torch.round(x), torch.floor(x + 0.5)).clamp(0, 255)
    elif out_dtype == torch.uint8:
        x = torch.round(x).clamp(0, 255)  # half to even, saturated, as the native store
    out = x.to(out_dtype)
    return out if channels_first_out else out.permute(0, 2, 3, 1).contiguous()


def warp_masks(plan, masks, image_shape, fill: float, device=None):
    """Masks (N, H, W) or (N, K, H, W) tensor through the plan's pull maps, nearest
    neighbour, ``fill`` outside; their region fills applied; dtype kept. ``device``: the
    images' device, which the masks must be on."""
    torch = _torch()
    n, _, h, w = image_shape
    if not is_tensor(masks):
        raise TypeError(f"masks must be a torch tensor for tensor images, got "
                        f"{type(masks).__name__}")
    # as for numpy masks: a complex mask would silently lose its imaginary part
    if masks.dtype.is_complex:
        raise TypeError(f"masks must have a bool, integer or float dtype, got {masks.dtype}")
    if device is not None and masks.device != device:
        raise ValueError(f"masks must be on the images' device ({device}), got {masks.device}")
    stacked = masks.ndim == 4
    if masks.shape[0] != n or masks.shape[-2:] != (h, w) or masks.ndim not in (3, 4):
        raise ValueError(f"masks must have shape ({n}, {h}, {w}) or ({n}, K, {h}, {w}), got "
                         f"{tuple(masks.shape)}")
    x = (masks if stacked else masks[:, None]).to(torch.float64)
    out = _warp(x, plan.kernel_rows(), plan.size, 0, "constant", float(fill))
    oh, ow = plan.size
    rows = torch.arange(oh, device=out.device)[None, :, None]
    cols = torch.arange(ow, device=out.device)[None, None, :]
    for region in plan.regions:
        if region.mask_fill is None:
            continue
        rect = torch.as_tensor(region.rect, dtype=torch.float64, device=out.device)
        on = torch.as_tensor(region.codes != 0, device=out.device)[:, None, None]
        top, left, height, width = (rect[:, j, None, None] for j in range(4))
        inside = on & (rows >= top) & (rows < top + height) & (cols >= left) & (cols < left + width)
        out = torch.where(inside[:, None], torch.full_like(out, float(region.mask_fill)), out)
    out = out.to(masks.dtype)
    return out if stacked else out[:, 0]

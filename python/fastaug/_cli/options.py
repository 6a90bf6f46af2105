"""Options every augmenting subcommand shares, the ``--config`` file, errors and lazy imports.

The options are Keras-style, named as ``ImageDataGenerator``'s constructor arguments
(``get_config()``'s names). A ``--config`` file (TOML or JSON) holds either a Compose
(``Compose.to_json()`` / ``to_toml()``) or such arguments by name, which command line options
then override one by one. ``pipeline.py`` turns either into the Compose the command runs.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib
import inspect
import json
import math
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

# The constructor arguments the CLI maps onto transforms (see pipeline.py).
AUGMENTATION_KEYS = ("rotation_range", "width_shift_range", "height_shift_range", "shear_range",
                     "zoom_range", "channel_shift_range", "brightness_range", "horizontal_flip",
                     "vertical_flip", "fill_mode", "cval", "interpolation_order")

# The normalisation arguments at their defaults: a config file written from get_config()
# holds them; any other value would ask for work the CLI does not do.
_IGNORED_DEFAULTS = {
    "featurewise_center": False, "samplewise_center": False,
    "featurewise_std_normalization": False, "samplewise_std_normalization": False,
    "zca_whitening": False, "zca_epsilon": 1e-6, "rescale": None,
    "preprocessing_function": None,
}
# Ignored whatever their value: how a generator lays out, splits and returns arrays, not what
# it does to an image (the CLI reads images channels-last and writes 8-bit files).
_IGNORED = ("num_threads", "data_format", "validation_split", "dtype")
# How Keras draws and shades (rotation direction, brightness stretch): the transforms have
# their own meanings, so only the default, which get_config() writes, is accepted.
_COMPAT_DEFAULT = "1.1.2"

FILL_MODES = ("nearest", "constant", "reflect", "wrap")


class CLIError(Exception):
    """A problem reported as one line on stderr. ``code`` 2: the command line or an input it
    names is wrong; 1: the work itself failed."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


class ArgumentParser(argparse.ArgumentParser):
    """argparse with a one-line error message (no usage dump) and exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def require(module: str, package: str):
    """Import ``module`` or fail with the one line that says what to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise CLIError(f"this command needs {package}: pip install 'fastaug[cli]' (from a "
                       f"checkout: pip install '.[cli]'; or pip install {package})") from None


def progress_module(wanted: Optional[bool]):
    """tqdm when a bar is to be shown; None otherwise (auto mode, ``wanted`` None: a bar
    only on a terminal and when tqdm is installed)."""
    if wanted is None:
        if not sys.stdout.isatty():
            return None
        try:
            import tqdm
        except ImportError:
            return None
        return tqdm
    return require("tqdm", "tqdm") if wanted else None


# ---------------------------------------------------------------------- value parsers

def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def non_negative(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {text!r}")
    return value


def zoom_range(text: str) -> List[float]:
    """``Z`` (Keras: [1-Z, 1+Z]) or ``LOW,HIGH``."""
    parts = text.split(",")
    if len(parts) == 1:
        z = non_negative(parts[0])
        if z >= 1:
            raise argparse.ArgumentTypeError(f"a single zoom value must be below 1: {text!r}")
        return [1 - z, 1 + z]
    return _positive_pair(text, parts)


def brightness_range(text: str) -> List[float]:
    """``LOW,HIGH``: brightness factors."""
    return _positive_pair(text, text.split(","))


def _positive_pair(text: str, parts: Sequence[str]) -> List[float]:
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected LOW,HIGH: {text!r}")
    low, high = (_number(p) for p in parts)
    if not 0 < low <= high:
        raise argparse.ArgumentTypeError(f"expected 0 < LOW <= HIGH: {text!r}")
    return [low, high]


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1: {text!r}")
    return value


def seed_value(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {text!r}")
    return value


# ---------------------------------------------------------------------- the options

# (flag, generator key, type, metavar, help); flags are store options defaulting to None so
# that only what the user typed overrides the config file.
_VALUE_OPTIONS = (
    ("--rotation", "rotation_range", non_negative, "DEG",
     "random rotation in [-DEG, DEG] degrees"),
    ("--width-shift", "width_shift_range", non_negative, "S",
     "random horizontal shift in [-S, S]: a fraction of the width if S < 1, else pixels"),
    ("--height-shift", "height_shift_range", non_negative, "S",
     "random vertical shift in [-S, S]: a fraction of the height if S < 1, else pixels"),
    ("--shear", "shear_range", non_negative, "DEG", "random shear in [-DEG, DEG] degrees"),
    ("--zoom", "zoom_range", zoom_range, "LOW,HIGH",
     "random zoom factors (below 1 zooms in); a single Z means 1-Z,1+Z"),
    ("--channel-shift", "channel_shift_range", non_negative, "V",
     "random offset in [-V, V] added to every channel (0-255 scale), clipped to the "
     "image's range"),
    ("--brightness", "brightness_range", brightness_range, "LOW,HIGH",
     "random brightness factor in [LOW, HIGH] (under --compat 1.1.2 the image is first "
     "stretched to 0..255, as Keras did)"),
    ("--cval", "cval", _number, "V", "fill value outside the image for --fill-mode constant"),
)


def add_augmentation_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "augmentation (Keras-style options, mapped onto fastaug transforms: rotation, shifts, "
        "zoom and shear onto Affine, flips onto HorizontalFlip/VerticalFlip, brightness onto "
        "ColorJitter, channel shift onto ChannelShift; each overrides --config)")
    group.add_argument("--config", metavar="FILE",
                       help="TOML or JSON file holding a Compose (what Compose.to_toml() or "
                            "to_json() writes: the pipeline you train with), or "
                            "ImageDataGenerator arguments by name, e.g. rotation_range = 20 "
                            "(the keys get_config() writes)")
    for flag, key, kind, metavar, text in _VALUE_OPTIONS:
        group.add_argument(flag, dest=key, type=kind, metavar=metavar, help=text)
    group.add_argument("--horizontal-flip", dest="horizontal_flip",
                       action=argparse.BooleanOptionalAction, default=None,
                       help="flip half of the copies left-right")
    group.add_argument("--vertical-flip", dest="vertical_flip",
                       action=argparse.BooleanOptionalAction, default=None,
                       help="flip half of the copies upside down")
    group.add_argument("--fill-mode", dest="fill_mode", choices=FILL_MODES,
                       help="how points outside the image are filled (default: nearest)")
    group.add_argument("--interpolation-order", dest="interpolation_order", type=int,
                       choices=(0, 1), help="0: nearest neighbour, 1: bilinear (default)")


def load_config(path: str) -> Tuple[str, Dict[str, Any]]:
    """``("compose", settings)`` for a file holding a Compose (a ``transforms`` list), else
    ``("keras", generator arguments)``, from a TOML (``.toml``) or JSON file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise CLIError(f"cannot read config {path}: {exc.strerror or exc}", code=2) from None
    kind = "TOML" if path.lower().endswith(".toml") else "JSON"
    try:
        if kind == "TOML":
            if sys.version_info >= (3, 11):
                import tomllib
            else:
                tomllib = require("tomli", "tomli")
            config = tomllib.loads(data.decode("utf-8"))
        else:
            config = json.loads(data.decode("utf-8"))
    except ValueError as exc:  # JSONDecodeError, TOMLDecodeError, UnicodeDecodeError
        raise CLIError(f"config {path} is not valid {kind}: {exc}", code=2) from None
    if not isinstance(config, dict):
        raise CLIError(f"config {path} must hold a table/object: a Compose or generator "
                       "arguments", code=2)
    if "transforms" in config:
        return "compose", config
    augmentation = {}
    for key, value in config.items():
        if key in AUGMENTATION_KEYS:
            problem = _config_value_problem(key, value)
            if problem:
                raise CLIError(f"config {path}: {key} {problem}, got {value!r}", code=2)
            augmentation[key] = value
        elif key in _IGNORED:
            continue
        elif key == "compat":
            if value != _COMPAT_DEFAULT:
                raise CLIError(f"config {path}: compat={value!r} selects how Keras draws and "
                               "shades; the command line runs fastaug transforms, which have "
                               "their own meanings (remove the key)", code=2)
        elif key not in _IGNORED_DEFAULTS:
            raise CLIError(f"config {path}: unknown ImageDataGenerator argument {key!r}",
                           code=2)
        elif value != _IGNORED_DEFAULTS[key]:
            raise CLIError(f"config {path}: {key}={value!r} is not applied by the command "
                           "line (only augmentation arguments are)", code=2)
    return "keras", augmentation


def _is_number(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _config_value_problem(key: str, value) -> Optional[str]:
    """What is wrong with a config file's value (the option parsers check the command line's),
    or None."""
    if key in ("horizontal_flip", "vertical_flip"):
        return None if isinstance(value, bool) else "must be true or false"
    if key == "fill_mode":
        return None if value in FILL_MODES else "must be one of " + ", ".join(FILL_MODES)
    if key == "interpolation_order":
        return None if value in (0, 1) and not isinstance(value, bool) else "must be 0 or 1"
    if key == "cval":
        return None if _is_number(value) else "must be a number"
    pair = isinstance(value, list) and len(value) == 2 and all(
        _is_number(v) and v > 0 for v in value) and value[0] <= value[1]
    if key == "brightness_range":
        return None if value is None or pair else "must be [LOW, HIGH] with 0 < LOW <= HIGH"
    if key == "zoom_range":
        return None if pair or (_is_number(value) and 0 <= value < 1) else (
            "must be a number in [0, 1) or [LOW, HIGH] with 0 < LOW <= HIGH")
    if key in ("width_shift_range", "height_shift_range") and isinstance(value, list):
        # Keras picks one of the listed values (pixels), with a random sign.
        return None if value and all(_is_number(v) for v in value) else (
            "must be a number >= 0 or a non-empty list of numbers")
    return None if _is_number(value) and value >= 0 else "must be a number >= 0"


def options_given(args: argparse.Namespace) -> List[str]:
    """The augmentation options typed on the command line."""
    return [key for key in AUGMENTATION_KEYS if getattr(args, key, None) is not None]


def generator_kwargs(args: argparse.Namespace,
                     config: Optional[Dict[str, Any]] = None) -> Dict[str, object]:
    """The augmentation arguments: the config file's (``config``), overridden by the options
    given. Those at the constructor's default are left out, zoom is a [low, high] list and
    the order is fixed, so that equal settings compare (and print) equal."""
    kwargs = dict(config or {})
    for key in options_given(args):
        kwargs[key] = getattr(args, key)
    zoom = kwargs.get("zoom_range")
    if _is_number(zoom):
        kwargs["zoom_range"] = [1 - zoom, 1 + zoom]
    defaults = _constructor_defaults()
    return {k: kwargs[k] for k in AUGMENTATION_KEYS
            if k in kwargs and kwargs[k] != defaults[k]
            and not (k == "zoom_range" and kwargs[k] == [1, 1])}


def _constructor_defaults() -> Dict[str, object]:
    from .. import ImageDataGenerator

    return {name: p.default for name, p in
            inspect.signature(ImageDataGenerator.__init__).parameters.items()
            if name in AUGMENTATION_KEYS}


def describe(kwargs: Dict[str, object]) -> str:
    """``key=value`` pairs of the settings, for captions and logs."""
    if not kwargs:
        return "no augmentation"
    return ", ".join(f"{k}={_short(v)}" for k, v in kwargs.items())


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return str(value)


# ---------------------------------------------------------------------- keyed randomness

def stable_seed(*parts) -> int:
    """A 32-bit seed from ``parts`` that is the same on every run, platform and process
    (Python's ``hash`` of a str is salted per process)."""
    digest = hashlib.blake2b("\0".join(str(p) for p in parts).encode("utf-8", "surrogatepass"),
                             digest_size=4).digest()
    return int.from_bytes(digest, "little")

"""TOML for pipeline settings: a writer for the plain data ``Compose.to_dict`` gives (scalars,
lists of scalars, and a list of tables), and the standard reader (``tomllib``, or ``tomli``
before Python 3.11)."""
from __future__ import annotations

import json
import math
from typing import Any, Dict

__all__ = ["dumps", "loads"]


def _value(v: Any, key: str) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"{key}: TOML settings must be finite numbers, got {v}")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string literal is a valid TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x, key) for x in v) + "]"
    if isinstance(v, dict):  # an inline table (a container's children); None left out
        return "{" + ", ".join(f"{k} = {_value(x, f'{key}.{k}')}" for k, x in v.items()
                               if x is not None) + "}"
    raise TypeError(f"{key}: cannot write a {type(v).__name__} to TOML")


def dumps(config: Dict[str, Any]) -> str:
    """Top-level scalars and lists first, then each list of dicts as an array of tables.
    ``None`` values are left out (TOML has no null; the reader then takes the default)."""
    lines = []
    tables = {}
    for key, v in config.items():
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            tables[key] = v
        elif v is not None:
            lines.append(f"{key} = {_value(v, key)}")
    for key, rows in tables.items():
        for row in rows:
            lines.append("")
            lines.append(f"[[{key}]]")
            lines.extend(f"{k} = {_value(x, k)}" for k, x in row.items() if x is not None)
    return "\n".join(lines) + "\n"


def loads(text: str) -> Dict[str, Any]:
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            raise ImportError("reading TOML needs Python >= 3.11 or the 'tomli' package") from None
    return tomllib.loads(text)

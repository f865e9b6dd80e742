"""cty values on the plugin wire: msgpack in, msgpack out, typed by the provider schema.

Terraform sends and expects every value as msgpack shaped by the schema's type (go-cty's
msgpack encoding): objects are maps holding every attribute, unknown values are msgpack
extension 0 (12 when Terraform refined them), `dynamic` values are `[type JSON, value]`.
Inside the stand-in a value is plain Python: dict, list, str, int/float, bool, None, or
`UNKNOWN`.

A type is kept in the JSON form of `terraform providers schema -json`: `"string"`,
`["list", T]`, `["object", {name: T}]`, ...
"""

from __future__ import annotations

import json
from typing import Any, Final

import msgpack

CtyType = Any
"""`"string" | "number" | "bool" | "dynamic" | [kind, element or attributes]`."""


class _Unknown:
    """A value Terraform knows only after apply."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()

_UNKNOWN_EXT = 0
_REFINED_UNKNOWN_EXT = 12


def _ext_hook(code: int, data: bytes) -> object:
    if code in (_UNKNOWN_EXT, _REFINED_UNKNOWN_EXT):
        return UNKNOWN
    raise ValueError(f"unexpected msgpack extension {code}")


def decode(data: bytes, cty_type: CtyType) -> Any:
    """A msgpack DynamicValue as a Python value of `cty_type`."""
    if not data:
        return None
    raw = msgpack.unpackb(data, ext_hook=_ext_hook, raw=False, strict_map_key=False)
    return conform(raw, cty_type)


def encode(value: Any, cty_type: CtyType) -> bytes:
    """`value` as a msgpack DynamicValue of `cty_type` (every object attribute present)."""
    packed: bytes = msgpack.packb(_wire(value, cty_type), use_bin_type=True)
    return packed


def from_json(text: bytes | str, cty_type: CtyType) -> Any:
    """A value from Terraform's JSON state encoding."""
    return conform(json.loads(text), cty_type)


def conform(value: Any, cty_type: CtyType) -> Any:
    """`value` shaped as `cty_type`: objects with every attribute, numbers as int where
    integral, dynamic wrappers removed."""
    if value is None or value is UNKNOWN:
        return value
    if cty_type == "dynamic":
        if isinstance(value, list) and len(value) == 2 and isinstance(value[0], (bytes, str)):
            inner = json.loads(value[0])
            return conform(value[1], inner)
        return value
    if cty_type == "number":
        return _number(value)
    if cty_type in ("string", "bool"):
        return value
    kind, element = cty_type[0], cty_type[1]
    if kind in ("list", "set"):
        return [conform(item, element) for item in value]
    if kind == "map":
        return {key: conform(item, element) for key, item in value.items()}
    if kind == "object":
        return {name: conform(value.get(name), attr) for name, attr in element.items()}
    if kind == "tuple":
        return [conform(item, t) for item, t in zip(value, element, strict=True)]
    raise ValueError(f"unknown cty type {cty_type!r}")


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a bool is not a number")
    if isinstance(value, str):
        value = float(value) if any(c in value for c in ".eE") else int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _wire(value: Any, cty_type: CtyType) -> Any:
    if value is UNKNOWN:
        return msgpack.ExtType(_UNKNOWN_EXT, b"")
    if value is None:
        return None
    if cty_type == "dynamic":
        return [json.dumps(_infer_type(value)).encode(), value]
    if cty_type == "number":
        return _number(value)
    if cty_type in ("string", "bool"):
        return value
    kind, element = cty_type[0], cty_type[1]
    if kind in ("list", "set"):
        return [_wire(item, element) for item in value]
    if kind == "map":
        return {key: _wire(item, element) for key, item in sorted(value.items())}
    if kind == "object":
        return {name: _wire(value.get(name), attr) for name, attr in sorted(element.items())}
    if kind == "tuple":
        return [_wire(item, t) for item, t in zip(value, element, strict=True)]
    raise ValueError(f"unknown cty type {cty_type!r}")


def _infer_type(value: Any) -> CtyType:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return ["tuple", [_infer_type(item) for item in value]]
    if isinstance(value, dict):
        return ["object", {key: _infer_type(item) for key, item in value.items()}]
    return "dynamic"


def contains_unknown(value: Any) -> bool:
    """Whether any part of `value` is unknown."""
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_unknown(item) for item in value)
    return False

"""Constraints config types carry: a pattern explained in words, and uniqueness in lists."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import (
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from ..hints import lookalike_note, shown


@dataclass(frozen=True)
class Matches:
    """Annotation: the string must match `pattern`; a mismatch names the kind of value and the
    rule instead of the regex. The JSON Schema gets the same pattern."""

    pattern: str
    what: str
    rule: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        compiled = re.compile(self.pattern, re.ASCII)  # \d is 0-9, never other digits

        def check(value: str) -> str:
            if not compiled.fullmatch(value):
                raise ValueError(
                    f"{shown(value)} is not a valid {self.what}: {self.rule}{lookalike_note(value)}"
                )
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = f"^(?:{self.pattern})$"
        return json_schema


@dataclass(frozen=True)
class Unique:
    """Annotation: a list without repeated items, compared by `key` and named `what` in the
    message (`uniqueItems` in the JSON Schema)."""

    key: Callable[[Any], Any] = str
    what: str = ""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        def check(items: list[Any]) -> list[Any]:
            seen: set[Any] = set()
            for item in items:
                key = self.key(item)
                if key in seen:
                    what = f"{self.what} " if self.what else ""
                    raise ValueError(f"{what}{shown(key)} is listed twice")
                seen.add(key)
            return items

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["uniqueItems"] = True
        return json_schema


def _enum_value(item: Any) -> Any:
    return item.value if isinstance(item, Enum) else item


UniqueEnums = Unique(key=_enum_value)

"""Plain checks that agree with pydantic's lax mode on unambiguous text, for start-up speed (issue 13, item 8).

pydantic costs a cold ``exposure score`` about 0.1 s (importing its schema machinery and building the models).
Where our own, already checked inputs are read (the bundled deal web, the CLI's option values), a value that
passes these checks is converted exactly as pydantic would convert it; anything else (:data:`MISS`) goes to
pydantic, which then decides and words the error, so messages never change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

#: Text that ``int()`` and pydantic read as the same integer: ASCII digits and an optional sign.
INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
#: Text that ``float()`` and pydantic read as the same number: a plain decimal, with an optional exponent.
DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
#: "Not decided here: ask pydantic."
MISS = object()


@dataclass(frozen=True)
class Text:
    """A ``str`` field (``None`` when blank unless ``required``) with pydantic's ``min_length`` and ``pattern``,
    of text without surrounding whitespace."""

    required: bool = False
    min_length: int | None = None
    pattern: str | None = None

    def convert(self, value: str | None) -> object:
        if value is None:
            return MISS if self.required else None
        if value != value.strip():
            return MISS  # the models strip whitespace (the CSV reader already has)
        if self.min_length is not None and len(value) < self.min_length:
            return MISS
        if self.pattern is not None and ("\n" in value or not re.search(self.pattern, value)):
            return MISS  # Python's $ also matches before a final newline, pydantic's does not
        return value


@dataclass(frozen=True)
class Number:
    """An optional ``float`` field with pydantic's ``ge`` / ``gt`` bounds (finite plain decimals only)."""

    ge: float | None = None
    gt: float | None = None

    def convert(self, value: str | None) -> object:
        if value is None:
            return None
        if not DECIMAL.fullmatch(value):
            return MISS
        number = float(value)
        if (self.ge is not None and not number >= self.ge) or (self.gt is not None and not number > self.gt):
            return MISS
        return number


@dataclass(frozen=True)
class Choice:
    """An ``Enum`` field, dumped as its value (pydantic's ``mode="json"``)."""

    enum: type[Enum]
    required: bool = True

    def convert(self, value: str | None) -> object:
        if value is None:
            return MISS if self.required else None
        return value if value in self.enum._value2member_map_ else MISS


Field = Text | Number | Choice


def plain_record(values: dict[str, str | None], fields: dict[str, Field]) -> dict[str, object] | None:
    """``fields`` converted from ``values`` (text, ``None`` for blank; other keys ignored), as pydantic's
    ``model_dump(mode="json")`` would give them; None when any value needs pydantic."""
    record = {}
    for name, field in fields.items():
        value = field.convert(values.get(name))
        if value is MISS:
            return None
        record[name] = value
    return record

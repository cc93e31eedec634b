"""Numbers as brokers write them: ``1,234.56``, ``1.234,56``, ``$1,234``, ``12.5%``, ``(100)``, ``="0700"``.

The decimal mark of a whole column is decided once (:func:`decimal_mark`) from its unambiguous values,
so ``1,234`` reads the same way as its neighbors. Every refusal is a located
:class:`~exposure.errors.PortfolioError` (file, row, column, fix).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import numpy as np

from exposure.errors import PortfolioError, located

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_CURRENCY = r"(?:US\$|C\$|CA\$|[$€£¥₩]|USD|EUR|GBP|JPY|CHF|CAD|AUD|HKD|KRW|TWD)"
AMOUNT = re.compile(rf"^(?P<s1>[+-]?)(?P<c1>{_CURRENCY})?(?P<s2>[+-]?)(?P<num>[\d.,]*\d[\d.,]*|[.,]\d+)"
                    rf"(?P<exp>[eE][+-]?\d+)?(?P<pct>%)?(?P<c2>{_CURRENCY})?$")
_GROUPED = {sep: re.compile(rf"^[1-9]\d{{0,2}}(?:{re.escape(sep)}\d{{2,3}})*{re.escape(sep)}\d{{3}}$")
            for sep in ",."}
SPACES = dict.fromkeys(map(ord, " \u00a0\u202f\u2009\u2007'\u2019"), None)
_EXCEL_TEXT = re.compile(r'^=\s*"(.*)"$', re.S)
#: Cells that brokers use for "no value".
NO_VALUE = frozenset({"", "--", "-", "n/a", "na", "none", "null"})


class NotANumber(ValueError):
    """Raised by :func:`parse_amount`; callers turn it into a located PortfolioError."""


def parse_number(value: object, *, file: str = "<input>", row: int | None = None, column: str | None = None,
                 decimal: str | None = None) -> float:
    """A finite float from a number or text like ``1,234.56``, ``$1,234``, ``12.5%`` (-> 0.125), ``(100)``.

    ``decimal`` is the decimal mark (``.`` or ``,``) for ambiguous text such as ``1,234``; by default
    each value decides for itself and an ambiguous one reads ``,`` as a thousands separator.
    Raises :class:`~exposure.errors.PortfolioError` naming ``file``, ``row`` and ``column``.
    """
    return located_amount(value, decimal, file, row, column)[0]


def located_amount(value: object, decimal: str | None, file: str, row: int | None,
                    column: str | None) -> tuple[float, bool, str]:
    try:
        return parse_amount(value, decimal)
    except NotANumber as problem:
        shown = "" if value is None else str(value)
        missing = str(problem) == "not finite"
        raise PortfolioError(located(f"'{shown}' is not {'a finite' if missing else 'a'} number", file=file,
                                     row=row, column=column,
                                     fix="replace NaN/inf with a real amount or delete the row." if missing
                                     else "write a plain number such as 1234.56 or 12.5%.")) from None


def parse_amount(value: object, decimal: str | None) -> tuple[float, bool, str]:
    """``(number, was_percent, currency_symbol)``; raises NotANumber."""
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        number = float(value)
        if not math.isfinite(number):
            raise NotANumber("not finite")
        return number, False, ""
    text = clean_cell(value).upper().replace("\u2212", "-").translate(SPACES)
    if text.lower() in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity"):
        raise NotANumber("not finite")
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    match = AMOUNT.match(text)
    if not match or (match["s1"] and match["s2"]) or (match["c1"] and match["c2"]) or (
            negative and (match["s1"] or match["s2"])):
        raise NotANumber("text")
    digits = _resolve_separators(match["num"], decimal)
    if digits is None or not _NUMBER.match(digits + (match["exp"] or "")):
        raise NotANumber("text")
    number = float(digits + (match["exp"] or ""))
    if "-" in (match["s1"] + match["s2"]) or negative:
        number = -number
    if match["pct"]:
        number /= 100.0
    if not math.isfinite(number):
        raise NotANumber("not finite")
    return number, bool(match["pct"]), (match["c1"] or match["c2"] or "").replace("US$", "$").replace("USD", "$")


def _resolve_separators(number: str, decimal: str | None) -> str | None:
    """Plain ``1234.5`` from ``1,234.5``/``1.234,5``/``12,5``; None when the separators make no sense."""
    commas, points = number.count(","), number.count(".")
    if commas and points:
        mark = "," if number.rfind(",") > number.rfind(".") else "."
        thousands = "." if mark == "," else ","
        whole, _, fraction = number.rpartition(mark)
        if number.count(mark) > 1 or not _GROUPED[thousands].match(whole) or not fraction.isdigit():
            return None
        return whole.replace(thousands, "") + "." + fraction
    if not commas and not points:
        return number
    separator = "," if commas else "."
    if commas + points > 1:  # only thousands separators can repeat
        return number.replace(separator, "") if _GROUPED[separator].match(number) else None
    if _GROUPED[separator].match(number):  # 1,234 or 1.234: ambiguous, the file's decimal mark decides
        return number.replace(separator, ".") if (decimal or ".") == separator else number.replace(separator, "")
    whole, _, fraction = number.partition(separator)
    return (whole or "0") + "." + fraction if fraction else None


def _decimal_evidence(text: str) -> str | None:
    """The decimal mark a single amount text proves (``,`` or ``.``), or None when it is ambiguous."""
    match = AMOUNT.match(text.upper().replace("\u2212", "-").translate(SPACES).strip("()"))
    if not match:
        return None
    number = match["num"]
    commas, points = number.count(","), number.count(".")
    if commas and points:
        return "," if number.rfind(",") > number.rfind(".") else "."
    if commas + points == 0:
        return None
    separator = "," if commas else "."
    other = "." if separator == "," else ","
    if commas + points > 1:
        return other if _GROUPED[separator].match(number) else None
    return None if _GROUPED[separator].match(number) else separator


def decimal_mark(cells: Iterable[tuple[int, object]], kind: str, source: str, delimiter: str | None,
                 notes: list[str]) -> str:
    """The file's decimal mark: from its unambiguous amounts, else ``,`` for ``;`` files and ``.`` otherwise."""
    seen: dict[str, tuple[int, str]] = {}
    ambiguous: tuple[int, str] | None = None
    for line, amount in cells:
        if not isinstance(amount, str):
            continue
        shown = clean_cell(amount)
        mark = _decimal_evidence(shown)
        if mark is None:
            if ambiguous is None and AMOUNT.match(shown.upper().translate(SPACES).strip("()")) and (
                    "," in shown or "." in shown):
                ambiguous = (line, shown)
            continue
        seen.setdefault(mark, (line, shown))
    if len(seen) > 1:
        (comma_row, comma_text), (point_row, point_text) = seen[","], seen["."]
        raise PortfolioError(located(f"the {kind} column mixes decimal commas (row {comma_row}: '{comma_text}') and "
                                     f"decimal points (row {point_row}: '{point_text}')", file=source,
                                     row=max(comma_row, point_row), column=kind,
                                     fix="write every number with the same decimal mark."))
    if seen:
        mark = next(iter(seen))
    else:
        mark = "," if delimiter == ";" else "."
        if ambiguous is not None and delimiter not in (",", None):  # in a comma file "1,234" had to be quoted
            reading = "decimal mark" if mark in ambiguous[1] else "thousands separator"
            notes.append(f"'{ambiguous[1]}' (row {ambiguous[0]}) and numbers like it could be read two ways; "
                         f"read with '{mark}' as the decimal mark, so its separator is a {reading}.")
    if mark == "," and seen:
        notes.append("numbers read with ',' as the decimal mark and '.' as the thousands separator.")
    return mark




def number_or_none(value: object, decimal: str | None = None) -> float | None:
    """A number from a broker cell, or None for ``--``, ``n/a``, blanks and text (never raises)."""
    if clean_cell(value).lower() in NO_VALUE:
        return None
    try:
        return parse_amount(value, decimal)[0]
    except NotANumber:
        return None


def clean_cell(value: object) -> str:
    """Text of a cell, trimmed, with Excel's ``="..."`` text wrapper removed."""
    if is_blank(value):
        return ""
    text = str(value).strip()
    if match := _EXCEL_TEXT.match(text):
        text = match[1].strip()
    return text


def is_blank(value: object) -> bool:
    """True for None, NaN and empty or whitespace-only text."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def text(value: object) -> str:
    """Trimmed text of a cell ("" for blanks)."""
    return "" if is_blank(value) else str(value).strip()

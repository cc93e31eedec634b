"""The on-disk market-data cache: JSON only (never pickle), a schema version, every entry validated.

Layout: ``<cache dir>/<kind>/<quoted key>.json`` for kind ``prices``, ``fundamentals``, ``holdings``, ``fx``.
An entry is ``{"schema": SCHEMA_VERSION, "kind": kind, "fetched_at": <Unix seconds>, "data": ...}``:

* ``prices``: ``{"start": "YYYY-MM-DD", "end": "YYYY-MM-DD", "dates": [...], "close": [...]}``, closes
  finite and > 0 (local currency), one date per close;
* ``fundamentals``: the raw quote: ``price`` and ``market_cap`` finite and > 0 or null, ``revenue`` finite
  and >= 0 or null (local units, not billions), ``currency``, ``financial_currency``, ``quote_type``
  short text or null, ``as_of`` a date;
* ``holdings``: ``[{"ticker", "weight", "as_of"}, ...]``, weights in [0, 1] summing to at most 1;
* ``fx``: ``{"usd_per_unit": finite > 0}``.

Reading only ever parses JSON (:func:`json.loads`) and checks types and ranges, so nothing in the cache can
run code; files of any other name (a planted ``NVDA.pkl``) are never opened. ``fetched_at`` must be finite
and not in the future. An entry that fails a check raises :class:`BadEntry`: the provider treats it as a
miss, refetches, and warns once. Writes go through :func:`exposure.files.atomic_write`.
"""

from __future__ import annotations

import json
import math
import os
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from exposure.errors import MarketDataError

#: Version of the entry layout above; entries of another version are misses (and get rewritten).
SCHEMA_VERSION = 1
#: Largest cache file read (bytes): ten years of daily closes fit in well under 1 MB.
MAX_ENTRY_BYTES = 8 * 1024 * 1024
#: Clock skew tolerated on ``fetched_at`` (seconds) before an entry counts as from the future.
FUTURE_SLACK = 300.0
KINDS = ("prices", "fundamentals", "holdings", "fx")


class BadEntry(MarketDataError):
    """A cache file that is not a valid entry (the reason is the message)."""


def default_cache_dir() -> Path:
    """``$EXPOSURE_CACHE_DIR`` if set, else the platform's user cache folder for ``exposure``.

    From platformdirs: ``~/.cache/exposure`` on Linux (``$XDG_CACHE_HOME`` honored),
    ``~/Library/Caches/exposure`` on macOS, ``%LOCALAPPDATA%\\exposure\\Cache`` on Windows.
    """
    from_env = os.environ.get("EXPOSURE_CACHE_DIR")
    if from_env:
        return Path(from_env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("exposure", appauthor=False))


def entry_path(directory: Path, kind: str, key: str) -> Path:
    """Where the entry of ``kind`` for ``key`` lives (the key is URL-quoted: no path tricks)."""
    return directory / kind / (quote(key, safe="") + ".json")


def read_entry(path: Path, kind: str, now: float, ttl: float) -> Any:
    """The validated payload of the entry at ``path``; None when absent or expired; :class:`BadEntry` if invalid."""
    from exposure.files import read_bytes

    if not path.exists() and not path.is_symlink():
        return None
    raw = read_bytes(path, what="cache", error=BadEntry, max_bytes=MAX_ENTRY_BYTES, form="JSON file")
    try:
        entry = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise BadEntry(f"{path}: not valid JSON ({str(error).splitlines()[0][:100]})") from None
    if not isinstance(entry, dict):
        raise BadEntry(f"{path}: not a JSON object")
    if entry.get("schema") != SCHEMA_VERSION or entry.get("kind") != kind:
        raise BadEntry(f"schema {entry.get('schema')!r} / kind {entry.get('kind')!r}, expected "
                       f"{SCHEMA_VERSION} / {kind!r}")
    fetched_at = _number(entry.get("fetched_at"), "fetched_at")
    if fetched_at > now + FUTURE_SLACK or fetched_at < 0:
        raise BadEntry(f"fetched_at {fetched_at:g} is in the future or before 1970")
    if "data" not in entry:
        raise BadEntry("no 'data'")
    data = _VALIDATORS[kind](entry["data"])
    return None if now - fetched_at > ttl else data


def write_entry(path: Path, kind: str, data: Any, now: float) -> None:
    """Validate ``data`` and store it atomically; OSError/ExposureError propagate to the caller."""
    from exposure.files import atomic_write

    payload = _to_json(kind, data)
    _VALIDATORS[kind](payload)  # never write what would not be read back
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps({"schema": SCHEMA_VERSION, "kind": kind, "fetched_at": now, "data": payload},
                                  allow_nan=False))


def prices_series(data: dict[str, Any]) -> tuple[pd.Timestamp, pd.Timestamp, pd.Series]:
    """``(start, end, closes)`` of a validated prices payload."""
    index = pd.DatetimeIndex(pd.to_datetime(data["dates"]), name="date")
    return (pd.Timestamp(data["start"]), pd.Timestamp(data["end"]),
            pd.Series(data["close"], index=index, dtype=float))


# -- validation ------------------------------------------------------------------------------------


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


def _number(value: Any, field: str, *, low: float | None = None, strict: bool = False,
            optional: bool = False, high: float | None = None) -> float:
    if value is None and optional:
        return math.nan
    try:  # a JSON integer of hundreds of digits parses to an int that no float holds (OverflowError)
        number = math.nan if isinstance(value, bool) or not isinstance(value, int | float) else float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise BadEntry(f"{field} is {_shown(value)}, not a finite number")
    if low is not None and (number < low or (strict and number == low)):
        raise BadEntry(f"{field} is {number:g}, must be {'>' if strict else '>='} {low:g}")
    if high is not None and number > high:
        raise BadEntry(f"{field} is {number:g}, must be <= {high:g}")
    return number


def _shown(value: Any) -> str:
    """``repr`` of a cached value, cut to 40 characters so a planted 4,000-digit number stays one line."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _text(value: Any, field: str, *, optional: bool = True, longest: int = 32) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > longest:
        raise BadEntry(f"{field} is {_shown(value)}, not a short text")
    return value


def _day(value: Any, field: str) -> str:
    text = _text(value, field, optional=False)
    try:
        date.fromisoformat(str(text)[:10])
    except ValueError:
        raise BadEntry(f"{field} is {_shown(value)}, not a date YYYY-MM-DD") from None
    return str(text)


def _prices(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or not {"start", "end", "dates", "close"} <= set(data):
        raise BadEntry("prices need start, end, dates and close")
    dates, closes = data["dates"], data["close"]
    if not isinstance(dates, list) or not isinstance(closes, list) or len(dates) != len(closes):
        raise BadEntry("prices need as many dates as closes")
    for position, (day, close) in enumerate(zip(dates, closes, strict=True)):
        _day(day, f"dates[{position}]")
        _number(close, f"close[{position}]", low=0.0, strict=True)
    if _day(data["start"], "start") >= _day(data["end"], "end"):
        raise BadEntry("start is not before end")
    return data


def _fundamentals(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BadEntry("fundamentals must be an object")
    for field in ("price", "market_cap"):
        _number(data.get(field), field, low=0.0, strict=True, optional=True)
    _number(data.get("revenue"), "revenue", low=0.0, optional=True)
    if data.get("price") is None and data.get("market_cap") is None:
        raise BadEntry("neither a price nor a market cap")
    for field in ("currency", "financial_currency", "quote_type"):
        _text(data.get(field), field)
    _day(data.get("as_of"), "as_of")
    return data


def _holdings(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, list):
        raise BadEntry("holdings must be a list")
    total = 0.0
    for position, row in enumerate(data):
        if not isinstance(row, dict):
            raise BadEntry(f"holding {position} is not an object")
        _text(row.get("ticker"), f"holding {position} ticker", optional=False)
        total += _number(row.get("weight"), f"holding {position} weight", low=0.0, high=1.0)
        _day(row.get("as_of"), f"holding {position} as_of")
    if total > 1.0 + 1e-6:
        raise BadEntry(f"holding weights sum to {total:g}, more than the whole fund")
    return data


def _fx(data: Any) -> dict[str, float]:
    if not isinstance(data, dict):
        raise BadEntry("fx must be an object")
    _number(data.get("usd_per_unit"), "usd_per_unit", low=0.0, strict=True)
    return data


_VALIDATORS = {"prices": _prices, "fundamentals": _fundamentals, "holdings": _holdings, "fx": _fx}


def _to_json(kind: str, data: Any) -> Any:
    """Plain JSON values: prices from ``{"start", "end", "series"}`` to date and close lists."""
    if kind == "prices" and "series" in data:
        series = data["series"]
        return {"start": pd.Timestamp(data["start"]).date().isoformat(),
                "end": pd.Timestamp(data["end"]).date().isoformat(),
                "dates": [pd.Timestamp(d).date().isoformat() for d in series.index],
                "close": [float(v) for v in series.to_numpy()]}
    plain = json.loads(json.dumps(data, default=_plain))
    if isinstance(plain, dict):  # a missing figure is null, never NaN
        plain = {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in plain.items()}
    return plain


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)

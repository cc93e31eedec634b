"""Security identifiers: ISIN and CUSIP to tickers, and "did you mean NVDA?" for mistyped tickers.

ISINs and CUSIPs are recognized by their check digits, so a nine-digit number is not taken for a CUSIP
by accident. The mapping is ``exposure/data/identifiers.csv`` (each row with the page that gives it);
an identifier not in it stays as it is and is reported as unmapped.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources

import pandas as pd

_ISIN = re.compile(r"^[A-Z]{2}[A-Z0-9]{9}\d$")
#: A CUSIP (three digits first) or a CINS (a country letter, two digits: ``N97284108``, ``G0403H108``).
_CUSIP = re.compile(r"^(?:[0-9]{3}|[A-Z][0-9]{2})[0-9A-Z]{5}\d$")


def _digits(text: str) -> str:
    return "".join(str(int(ch, 36)) for ch in text)


def is_isin(text: str) -> bool:
    """True for a well-formed ISIN with a valid check digit (``US67066G1040``)."""
    if not _ISIN.match(text):
        return False
    total = 0
    for position, digit in enumerate(reversed(_digits(text[:-1]))):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value // 10 + value % 10
    return (10 - total % 10) % 10 == int(text[-1])


def is_cusip(text: str) -> bool:
    """True for a well-formed CUSIP or CINS with a valid check digit (``67066G104``, ``N97284108``)."""
    if not _CUSIP.match(text):
        return False
    total = 0
    for position, ch in enumerate(text[:-1]):
        value = int(ch, 36) * (2 if position % 2 else 1)
        total += value // 10 + value % 10
    return (10 - total % 10) % 10 == int(text[-1])


@cache
def _table() -> dict[str, str]:
    data = (resources.files("exposure") / "data" / "identifiers.csv").read_text(encoding="utf-8")
    return {row["identifier"].strip().upper(): row["ticker"].strip().upper()
            for row in csv.DictReader(io.StringIO(data))}


#: Countries whose ISIN is the country code + the CUSIP + a check digit.
CUSIP_COUNTRIES = ("US", "CA")


def resolve(identifier: str) -> str | None:
    """The ticker of an ISIN or CUSIP (a US or Canadian ISIN is also tried by its CUSIP), or None when unknown."""
    key = identifier.strip().upper()
    table = _table()
    if key in table:
        return table[key]
    if is_isin(key) and key.startswith(CUSIP_COUNTRIES):
        return table.get(key[2:11])
    if is_cusip(key):
        return next((ticker for isin, ticker in table.items()
                     if isin[2:11] == key and isin.startswith(CUSIP_COUNTRIES)), None)
    return None


def identifier_tickers(cells: list[str]) -> tuple[list[str], str | None]:
    """Ticker cells with every ISIN or CUSIP the bundle knows replaced by its ticker, and a note saying which.

    A cell that is not a well-formed identifier stays as it is; an identifier the bundle does not know
    stays too (it is then reported as unmapped), and the note names it.
    """
    found: dict[str, str | None] = {}
    out = []
    for cell in cells:
        if is_isin(cell) or is_cusip(cell):
            found[cell] = resolve(cell)
            out.append(found[cell] or cell)
        else:
            out.append(cell)
    if not found:
        return out, None
    known = [f"{key} -> {ticker}" for key, ticker in found.items() if ticker]
    unknown = [key for key, ticker in found.items() if not ticker]
    parts = ([f"identifiers read as tickers: {', '.join(known)}"] if known else []) + (
        [f"identifiers not in the bundled list, kept as they are (unmapped): {', '.join(unknown)}"] if unknown else [])
    return out, "; ".join(parts) + "."


#: A broker's description of a fixed-income position in its symbol column ("KEY BANK CD CLEVELAND OH CD 3.85%
#: 08/24/2026", "US TREASURY NOTE 4.25% 11/15/2034"): a coupon and a maturity date, or a CD/bond/note/bill word
#: and a maturity date. No equity ticker has either.
_COUPON = re.compile(r"\d+(?:\.\d+)?\s?%")
_MATURITY = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b")
_DEBT_WORD = re.compile(r"\b(?:CDS?|BONDS?|NOTES?|BILLS?|TREAS(?:URY)?|DEBENTURES?)\b")


def fixed_income(symbol: str) -> bool:
    """Whether a position's symbol is a broker's description of a CD, bond, note or bill (known, not AI)."""
    text = str(symbol).upper()
    described = " " in text.strip() and _MATURITY.search(text) is not None
    return described and (_COUPON.search(text) is not None or _DEBT_WORD.search(text) is not None)


#: A fund's name as a broker prints it ("iShares MSCI EM UCITS ETF", "Fidelity 500 Index Fund", "Scottish Mortgage
#: Investment Trust", "Amundi MSCI World ETF", and UK share classes such as "Vanguard FTSE Developed World ex-UK
#: Equity Index Accumulation" or "... Tracker C Acc"): a word only funds use.
_FUND_WORD = re.compile(r"\b(?:ETFS?|ETPS?|ETNS?|UCITS|SICAV|OEIC|FUNDS?|FONDS|(?:INVESTMENT|UNIT|INDEX) TRUST"
                        r"|ACCUMULATION|EQUITY INDEX|INDEX TRACKER|TRACKER\s+\w?\s*ACC)\b", re.IGNORECASE)


def described_fund(name: str) -> bool:
    """Whether the broker's name for a position says it is a fund (ETF, UCITS, index fund, investment trust)."""
    return _FUND_WORD.search(str(name)) is not None


def known_security(ticker: str, securities: set[str]) -> bool:
    """Whether a directly held ticker outside the deal web is still a known security, not a possible typo: one
    the market data names (``securities``: a bundled fund's holding, a priced ticker) or a described CD or bond."""
    return ticker in securities or fixed_income(ticker)


def did_you_mean(ticker: str, known: Iterable[str]) -> str | None:
    """The closest known ticker to a mistyped one (``NVDIA`` -> ``NVDA``), or None when nothing is close."""
    if not ticker or len(ticker) < 2:
        return None
    match = difflib.get_close_matches(ticker.upper(), known if isinstance(known, list) else sorted(set(known)),
                                      n=1, cutoff=0.75)
    return match[0] if match and match[0] != ticker.upper() else None


#: Share of the portfolio's value not mapped to the web above which the report warns prominently.
UNMAPPED_WARNING = 0.20
#: "Did you mean" is offered for this many of the largest unmapped holdings (difflib is slow on big books).
MAX_GUESSES = 20


def unmapped_notes(holdings: pd.DataFrame, known: Iterable[str]) -> list[str]:
    """Notes on holdings not mapped to the web: "did you mean NVDA?" and a warning above 20% of the value.

    ``holdings`` are look-through rows with ``ticker, weight, via, kind`` (``kind`` is ``unmapped`` for
    holdings the web does not know); ``known`` are the tickers the web and the bundled funds know.
    """
    unmapped = holdings[(holdings["kind"] == "unmapped") & (holdings["via"] == "")]
    candidates = sorted(set(known))
    largest = unmapped.nlargest(MAX_GUESSES, "weight")["ticker"]
    guesses = {t: g for t in largest if (g := did_you_mean(t, candidates)) is not None}
    notes = [f"{ticker} is not a ticker the web knows: did you mean {guess}?" for ticker, guess in guesses.items()]
    share = float(holdings.loc[holdings["kind"] == "unmapped", "weight"].sum())
    if share > UNMAPPED_WARNING:
        notes.insert(0, f"WARNING: {100 * share:.0f}% of the portfolio's value is not mapped to any company of the "
                        "deal web and counts no deal exposure. Fine for non-AI holdings; otherwise check the "
                        "tickers (and identifiers) listed as unmapped for typos.")
    return notes

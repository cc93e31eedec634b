"""Funds looked through with another fund's holdings: share classes of one portfolio, or trackers of one index.

``fund_aliases.csv`` (``ticker,same_portfolio_as,relation,source_url,as_of,notes``) says, with a source, that a
fund without bundled holdings holds what another fund holds:

* ``share_class``: the two tickers are share classes of one fund (Vanguard's VTSAX Admiral Shares and VTI ETF
  Shares of Total Stock Market Index Fund): one portfolio, so the same holdings, exactly.
* ``same_index``: two different funds that track the same index (FXAIX and SPY, both S&P 500). Their holdings
  are ASSUMED equal to the target's; every output that uses one says so.

An alias may point at another alias; it must end at a fund with bundled holdings, and never loop back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Allowed ``relation`` values and what each means for the holdings.
RELATIONS = {"share_class": "share classes of one portfolio, so the same holdings",
             "same_index": "tracks the same index; holdings assumed equal"}
#: Columns of ``fund_aliases.csv``.
ALIAS_COLUMNS = ["ticker", "same_portfolio_as", "relation", "source_url", "as_of", "notes"]


@dataclass(frozen=True)
class FundAlias:
    """One row of ``fund_aliases.csv``: ``ticker`` is looked through with ``target``'s holdings."""

    ticker: str
    target: str
    relation: str
    source_url: str
    as_of: str

    def note(self, holder: str | None = None) -> str:
        """One line naming both funds and the source, e.g. for a score's notes.

        ``holder`` is the fund whose bundled holdings are used when the alias goes through another alias.
        """
        held = holder or self.target
        if self.relation == "share_class":
            why = f"{self.ticker} and {self.target} are share classes of one portfolio"
        else:
            why = f"{self.ticker} tracks the same index as {self.target}; its holdings are assumed equal"
        return (f"{self.ticker} is looked through with {held}'s holdings ({why}; source {self.source_url}, "
                f"{self.as_of}).")


def parse_aliases(records: list[dict[str, Any]]) -> dict[str, FundAlias]:
    """``fund_aliases.csv`` rows (as read) keyed by upper-case ticker; the first row of a ticker wins."""
    aliases: dict[str, FundAlias] = {}
    for row in records:
        ticker, target = _cell(row.get("ticker")).upper(), _cell(row.get("same_portfolio_as")).upper()
        if ticker and target:
            aliases.setdefault(ticker, FundAlias(ticker, target, _cell(row.get("relation")),
                                                 _cell(row.get("source_url")), _cell(row.get("as_of"))))
    return aliases


def resolve(ticker: str, aliases: dict[str, FundAlias], funds: set[str]) -> tuple[str | None, str | None]:
    """The fund whose holdings ``ticker`` uses, and why not when none: ``(holder, None)`` or ``(None, reason)``.

    A ticker with its own holdings is its own holder; an alias is followed (through other aliases) to a fund in
    ``funds``. A chain that ends at a fund without holdings, or that comes back on itself, has no holder.
    """
    path = chain(ticker, aliases, funds)
    end = path[-1]
    if end in funds:
        return end, None
    if len(path) == 1:
        return None, None  # neither a bundled fund nor an alias: not this module's business
    if end in path[:-1]:
        return None, (f"alias loop {' -> '.join(path)}. Fix: point one of them at a fund with bundled holdings.")
    return None, (f"alias {' -> '.join(path)}: {end} has no bundled holdings. Fix: add {end}'s holdings to "
                  "fund_holdings.csv, or point the alias at a fund that has them.")


def chain(ticker: str, aliases: dict[str, FundAlias], funds: set[str]) -> list[str]:
    """``ticker`` and the aliases followed from it: ends at a fund in ``funds``, a non-alias, or a repeat (loop)."""
    path = [ticker]
    while path[-1] not in funds and path[-1] in aliases:
        path.append(aliases[path[-1]].target)
        if path[-1] in path[:-1]:
            break
    return path


def alias_problems(records: list[dict[str, Any]], funds: set[str]) -> list[tuple[int, str, str]]:
    """What is wrong with ``fund_aliases.csv`` rows given the funds with holdings: ``(position, column, message)``.

    An unknown relation, a ticker listed twice, an alias of a fund that has its own holdings (two sources for
    one fund), a chain that ends without holdings, and a loop (reported once, at its alphabetically first
    ticker). Provenance (source URL, date) is checked by the caller like every other file's.
    """
    aliases = parse_aliases(records)
    problems: list[tuple[int, str, str]] = []
    seen: set[str] = set()
    for position, row in enumerate(records):
        ticker = _cell(row.get("ticker")).upper()
        relation = _cell(row.get("relation"))
        if relation not in RELATIONS:
            problems.append((position, "relation", f"relation {relation!r} is not one of {', '.join(RELATIONS)}"))
        if ticker in seen:
            problems.append((position, "ticker", f"{ticker} is listed twice. Fix: keep one row per fund."))
        seen.add(ticker)
        if ticker in funds:
            problems.append((position, "ticker", f"{ticker} has its own rows in fund_holdings.csv. Fix: remove its "
                                                 "alias or its rows, so one source of holdings is left."))
            continue
        path = chain(ticker, aliases, funds)
        loop = path[path.index(path[-1]):-1] if path[-1] in path[:-1] else []
        if ticker in loop and ticker != min(loop):
            continue  # a loop is reported once, at its alphabetically first ticker
        reason = resolve(ticker, aliases, funds)[1]
        if reason is not None:
            problems.append((position, "same_portfolio_as", reason))
    return problems


def _cell(value: Any) -> str:
    """A CSV cell as stripped text; blank for a missing (NaN) cell."""
    return "" if value is None or value != value else str(value).strip()

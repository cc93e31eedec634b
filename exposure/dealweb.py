"""The deal web: companies (nodes) and deals (edges), loaded, validated, filtered by date, resolved by name.

Every deal carries a source URL, an announcement date and a status; loading refuses a file that breaks
that promise with one line naming the file, row (line number in the file), column and the fix.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

import pandas as pd

from exposure._compat import renamed
from exposure.errors import DealWebError
from exposure.financials import figures_at, later_note, read_financials
from exposure.network import Sensitivity, build_sensitivity
from exposure.webfiles import Source, blank, data_file, read_aliases, read_companies, read_deals

if TYPE_CHECKING:
    import networkx

    from exposure.defaults import DefaultModel
    from exposure.models import ExposureModel

class DealWeb:
    """Companies and deals, validated. Build with :meth:`bundled` or :meth:`from_csv`.

    Attributes
    ----------
    companies : DataFrame indexed by company id (``name, ticker, layer, revenue_usd_bn, market_cap_usd_bn,
        as_of, source_url, notes``; figures in USD bn, NaN where no dated source was found).
    deals : DataFrame of deals (``id, payer, payee, type, amount_usd_bn, duration_years, announced, status,
        source_url, notes, capacity_gw, firm_usd_bn, source_kind, source_url_2, checked``; the last five may be
        blank). Lapsed and terminated deals stay listed; they count 0 under the default model.
    aliases : extra names and tickers (upper case) that resolve to a company id.
    cutoff : the as-of date the deals and figures were taken at, or None.
    financials : dated revenue and market-cap rows (``exposure/data/financials.csv``), or None. The bundled
        web reads them on first use (:meth:`as_of`): a score of today's web never needs them.
    notes : what :meth:`as_of` could not date (figures taken from after the cutoff).
    """

    def __init__(self, companies: pd.DataFrame, deals: pd.DataFrame, aliases: dict[str, str] | None = None,
                 cutoff: date | None = None, financials: pd.DataFrame | None = None,
                 notes: list[str] | None = None) -> None:
        self.companies = companies
        self.deals = deals.reset_index(drop=True)
        self.aliases = dict(aliases or {})
        self.cutoff = cutoff
        self._financials = financials
        self._read_financials: Callable[[], pd.DataFrame] | None = None
        self.notes = list(notes or [])
        self._sensitivity: dict[str, Sensitivity] = {}

    @property
    def financials(self) -> pd.DataFrame | None:
        """Dated revenue and market-cap rows, or None (see the class docstring)."""
        if self._read_financials is not None:
            self._financials, self._read_financials = self._read_financials(), None
        return self._financials

    # ----------------------------------------------------------------------------------------- loading
    @classmethod
    def bundled(cls) -> DealWeb:
        """The web shipped with the package (``exposure/data``), sourced and dated; see its SOURCES.md."""
        web = cls._read(data_file("companies.csv"), data_file("deals.csv"), data_file("aliases.csv"), plain=True)
        dated, ids = data_file("financials.csv"), set(web.companies.index)
        if dated.exists():  # read once, when a web of this load first needs it
            web._read_financials = functools.cache(lambda: read_financials(dated, ids))
        return web

    @classmethod
    def from_csv(cls, companies: Source, deals: Source, aliases: Source | None = None,
                 financials: Source | None = None) -> DealWeb:
        """Load and validate a web from CSV files in the bundled format (see README, "Data"); ``financials``
        holds dated figures for :meth:`as_of` (see :mod:`exposure.financials`)."""
        return cls._read(companies, deals, aliases, financials)

    @classmethod
    def _read(cls, companies: Source, deals: Source, aliases: Source | None = None,
              financials: Source | None = None, plain: bool = False) -> DealWeb:
        """:meth:`from_csv`; ``plain`` for the bundled files (valid rows skip pydantic: :mod:`exposure.webfiles`)."""
        company_frame = read_companies(companies, plain=plain)
        deal_frame = read_deals(deals, set(company_frame.index), companies_file=companies, plain=plain)
        alias_map = read_aliases(aliases, set(company_frame.index)) if aliases is not None else {}
        dated = read_financials(financials, set(company_frame.index)) if financials is not None else None
        return cls(company_frame, deal_frame, alias_map, financials=dated)

    def with_deals(self, path: Source) -> DealWeb:
        """A new web with a user's deals file merged in (same format); a row with an existing id replaces it,
        and the web's notes name every deal so replaced (a correction, or an id reused by mistake)."""
        extra = read_deals(path, set(self.companies.index))
        replaced = self.deals["id"].isin(extra["id"])
        notes = list(self.notes)
        if replaced.any():
            ids = self.deals.loc[replaced, "id"].astype(str).tolist()
            shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
            notes.append(f"your deals file replaces {len(ids)} bundled deal(s) with the same id: {shown} "
                         "(give new ids to add deals instead).")
        return self._replace(deals=pd.concat([self.deals[~replaced], extra], ignore_index=True), notes=notes)

    def with_fundamentals(self, figures: pd.DataFrame) -> DealWeb:
        """A new web with market caps and revenues replaced where ``figures`` (indexed by id) has them."""
        companies = self.companies.copy()
        for column in ("market_cap_usd_bn", "revenue_usd_bn", "as_of"):
            if column in figures:
                update = figures[column].dropna()
                companies.loc[update.index.intersection(companies.index), column] = update
        return self._replace(companies=companies)

    def with_market_figures(self, figures: pd.DataFrame) -> DealWeb:
        """A new web with a market-data provider's fresh figures (``fundamentals()``: indexed by ticker, with
        ``market_cap_usd_bn, revenue_usd_bn, as_of, source``); rows from the snapshot are ignored."""
        if figures.empty or "source" not in figures:
            return self
        by_id = {t: cid for cid, t in self.listed["ticker"].items()}
        fresh = figures[figures["source"].isin(["live", "cache"]) & figures.index.isin(list(by_id))]
        return self if fresh.empty else self.with_fundamentals(fresh.rename(index=by_id))

    def as_of(self, when: str | date) -> DealWeb:
        """The web as it stood on ``when``: only deals announced on or before it (a month counts from its 1st),
        and each company's latest revenue and market cap dated on or before it (:attr:`financials`).

        A figure with no dated row on or before ``when`` keeps its later ``companies.csv`` value, and the new
        web's :attr:`notes` say which (analyze() reports them).
        """
        cutoff = parse_as_of(when)
        companies, later = self._figures_at(cutoff)
        note = later_note(later, self.name_of, cutoff)
        return self._replace(companies=companies, deals=self.deals[self.announced <= cutoff], cutoff=cutoff,
                             notes=[note] if note else [])

    def _figures_at(self, cutoff: date) -> tuple[pd.DataFrame, pd.DataFrame]:
        """:func:`figures_at`, reused for cutoffs that see the same dated rows: its result depends only on which
        ``financials`` rows and which ``companies.csv`` dates are on or before the cutoff, and a history over a
        hundred deal dates crosses only a few figure dates."""
        key = tuple(bisect.bisect_right(dates, cutoff) for dates in self._figure_dates)
        cache = self.__dict__.setdefault("_figures_cache", {})
        if key not in cache:
            cache[key] = figures_at(self.companies, self.financials, cutoff)
        return cache[key]

    @cached_property
    def announced(self) -> pd.Series:
        """Each deal's announcement date (a ``YYYY-MM`` month counts from its 1st), as ``date`` objects, aligned
        with :attr:`deals`."""
        return _days(self.deals["announced"])

    @cached_property
    def _figure_dates(self) -> tuple[list[date], list[date]]:
        """The sorted dates of the ``financials`` rows and of the ``companies.csv`` figures (undated ones left out)."""
        def parsed(dates: pd.Series) -> list[date]:
            found = pd.to_datetime(dates.astype(str).str.slice(0, 10), errors="coerce", format="mixed").dt.date
            return sorted(d for d in found if pd.notna(d))

        financial = self.financials["date"] if self.financials is not None else pd.Series(dtype=object)
        return parsed(financial), parsed(self.companies["as_of"])

    def _replace(self, companies: pd.DataFrame | None = None, deals: pd.DataFrame | None = None,
                 cutoff: date | None = None, notes: list[str] | None = None) -> DealWeb:
        """A new web with the given parts changed (aliases and financials kept, still unread if unread)."""
        web = DealWeb(self.companies if companies is None else companies, self.deals if deals is None else deals,
                      self.aliases, cutoff or self.cutoff, self._financials, self.notes if notes is None else notes)
        web._read_financials = self._read_financials
        return web

    def future_deals_note(self, today: date | None = None) -> str | None:
        """A note naming the deals announced after ``today`` (default: the date today), or None.

        Such deals are kept (a user may model a deal expected soon) but a dated web should not hold them silently.
        """
        cutoff = today or date.today()
        future = self.deals.loc[self.announced > cutoff, "id"].astype(str).tolist()
        if not future:
            return None
        shown = ", ".join(future[:5]) + (f" and {len(future) - 5} more" if len(future) > 5 else "")
        return (f"{len(future)} deal(s) dated after today ({shown}) are counted as if already announced; "
                "check their dates, or use --as-of to leave them out.")

    # -------------------------------------------------------------------------------------- look-ups
    def resolve(self, key: str) -> str:
        """Company id for an id, name, ticker or alias (case-insensitive); DealWebError with close matches."""
        found = self._lookup.get(str(key).strip().upper())
        if found is None:
            import difflib  # only for a name that resolves to nothing

            close = difflib.get_close_matches(str(key).strip().upper(), list(self._lookup), n=3, cutoff=0.6)
            ids = list(dict.fromkeys(self._lookup[c] for c in close))  # closest first, each company once
            hint = f" Did you mean {', '.join(ids)}?" if close else ""
            raise DealWebError(f"unknown company '{key}'.{hint} Fix: use a company id, name or ticker from "
                               "`exposure companies`.")
        return found

    def company_for_ticker(self, ticker: str) -> str | None:
        """Company id held through ``ticker`` (listing, share class or alias), or None when not in the web."""
        return self._tickers.get(normalize_ticker(ticker))

    @cached_property
    def _tickers(self) -> dict[str, str]:
        mapping = {normalize_ticker(t): cid for cid, t in self.companies["ticker"].dropna().items()}
        for alias, cid in self.aliases.items():
            mapping.setdefault(normalize_ticker(alias), cid)
        return mapping

    @cached_property
    def name_of(self) -> dict[str, str]:
        """Company id -> display name."""
        return self.companies["name"].astype(str).to_dict()

    @cached_property
    def layer_of(self) -> dict[str, str]:
        """Company id -> layer."""
        return self.companies["layer"].astype(str).to_dict()

    @cached_property
    def _lookup(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for cid, name, ticker in zip(self.companies.index, self.companies["name"], self.companies["ticker"],
                                     strict=True):
            for key in (cid, name, ticker):
                if isinstance(key, str) and key:
                    table.setdefault(key.upper(), str(cid))
        for alias, cid in self.aliases.items():
            table.setdefault(alias.upper(), cid)
        for ticker, cid in self._tickers.items():
            table.setdefault(ticker, cid)
        return table

    @property
    def listed(self) -> pd.DataFrame:
        """Companies with a ticker (the ones a portfolio can hold)."""
        return self.companies[self.companies["ticker"].notna()]

    # --------------------------------------------------------------------------------------- engine
    def sensitivity(self, model: ExposureModel | DefaultModel | None = None) -> Sensitivity:
        """The sensitivity matrix ``L`` under ``model`` with its deal-level contributions and coverage."""
        from exposure.defaults import DefaultModel  # ExposureModel()'s values without loading pydantic

        model = model or DefaultModel()
        key = model.model_dump_json()  # the same for ExposureModel() and DefaultModel()
        if key not in self._sensitivity:
            self._sensitivity[key] = build_sensitivity(self.companies, self.deals, model)
        return self._sensitivity[key]

    def to_networkx(self) -> networkx.MultiDiGraph:
        """The web as a networkx MultiDiGraph: one edge per deal, payer -> payee, with the deal's fields."""
        from exposure._optional import require

        nx = require("networkx", "DealWeb.to_networkx")
        graph = nx.MultiDiGraph()
        for cid, row in self.companies.iterrows():
            graph.add_node(cid, **{k: (None if blank(v) else v) for k, v in row.items()})
        for row in self.deals.to_dict("records"):
            graph.add_edge(row["payer"], row["payee"], key=row["id"],
                           **{k: (None if blank(v) else v) for k, v in row.items()})
        return graph

    def __repr__(self) -> str:
        when = f", as of {self.cutoff}" if self.cutoff else ""
        return f"DealWeb({len(self.companies)} companies, {len(self.deals)} deals{when})"

    def _repr_html_(self) -> str:
        """Notebook view: the counts, deals by status, and the ten largest disclosed deals (USD bn)."""
        import html

        from exposure.report import frame_html

        names = self.companies["name"]
        deals = self.deals.assign(deal=self.deals["payer"].map(names) + " \u2192 " + self.deals["payee"].map(names),
                                  amount=pd.to_numeric(self.deals["amount_usd_bn"], errors="coerce"))
        largest = deals.nlargest(10, "amount").set_index("id")[["deal", "type", "amount", "status", "announced"]]
        announced = deals["announced"].astype(str)
        span = f"announced {announced.min()} to {announced.max()}" if len(deals) else "no deals"
        when = f"; as of {self.cutoff}" if self.cutoff else ""
        return (f"<div><b>DealWeb</b>: {len(self.companies)} companies ({len(self.listed)} listed), "
                f"{len(deals)} deals {html.escape(span)}{html.escape(when)}"
                f"<h5>Deals by status</h5>{frame_html(deals['status'].value_counts().rename('deals').to_frame())}"
                f"<h5>Largest disclosed deals (USD bn)</h5>{frame_html(largest, max_rows=10)}</div>")


# ------------------------------------------------------------------------------------------ helpers
_SHARE_CLASSES = frozenset("ABCDE")  # single-letter exchange suffixes (.T Tokyo, .L London) are other letters


def normalize_ticker(ticker: str) -> str:
    """Upper-case, trimmed, share-class dot as dash (``BRK.B`` -> ``BRK-B``); exchange suffixes (``9984.T``) kept."""
    text = str(ticker).strip().upper()
    head, dot, tail = text.rpartition(".")
    if dot and tail in _SHARE_CLASSES and not head.isdigit():
        return f"{head}-{tail}"
    return text


normalise_ticker = renamed(normalize_ticker, "normalise_ticker")


_ISO_DAY_OR_MONTH = re.compile(r"\d{4}-\d{2}(-\d{2})?")


def _days(announced: pd.Series) -> pd.Series:
    """The dates of ``YYYY-MM`` (the 1st) or ``YYYY-MM-DD`` texts (longer texts cut to 10 characters), as
    ``date`` objects; plain ``date.fromisoformat`` when every text has one of those forms (a loaded web's
    always do), pandas' mixed-format parser otherwise."""
    texts = announced.str.slice(0, 10)
    if all(isinstance(t, str) and _ISO_DAY_OR_MONTH.fullmatch(t) for t in texts):
        return pd.Series([date.fromisoformat(t if len(t) == 10 else f"{t}-01") for t in texts], index=texts.index,
                         dtype=object)
    return pd.to_datetime(texts, format="mixed").dt.date


def parse_as_of(when: str | date) -> date:
    """A past or present date from ``YYYY-MM-DD`` (or a date); DealWebError otherwise."""
    if isinstance(when, date):
        parsed = when
    else:
        try:
            parsed = date.fromisoformat(str(when).strip())
        except ValueError:
            raise DealWebError(f"as-of date '{when}' is not a date. Fix: write it as YYYY-MM-DD.") from None
    if parsed > date.today():
        raise DealWebError(f"as-of date {parsed} is in the future (today is {date.today()}). "
                           "Fix: use today's date or an earlier one.")
    return parsed

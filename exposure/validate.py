"""The model checked against the market: announcement-day stock moves versus first-order dependence.

``exposure/data/announcement_moves.csv`` holds, for major deals between listed companies, the one-day
stock move of the payee (and, where reported, the payer) on the day the deal became public, in percent
as reported, with a source. Each row is lined up with the model's first-order dependence
``L[company, counterparty]`` (the fraction of the company's value lost per unit fractional loss of the
counterparty; see :mod:`exposure.network`) and two questions are asked:

1. **Rank.** Do companies that the model says depend more on a counterparty move more when a deal with
   it is announced? Spearman rank correlation between ``L`` and the move.
2. **Size.** What revenue-to-value elasticity does the market imply? The revenue channel of a contract
   is ``kappa * annual / F`` with ``F`` = the payee's revenue plus the annual amounts it receives in the
   web. At ``kappa = 1`` that is the fraction by which the payee's value should rise when the contract
   appears (``model_share``); the deal's implied elasticity is ``move / model_share``. The model's
   default is ``kappa = 1``. Market caps are not used: the bundled ones are today's, not the
   announcement day's.

Pure functions: frames in, frames out; only :func:`load_moves` reads a file. Rolling return betas to the
listed hubs need a price history, so they need a live market provider (``--live``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
import pandas as pd

from exposure.errors import DealWebError, MarketDataError, located

if TYPE_CHECKING:
    from exposure.dealweb import DealWeb
    from exposure.market import MarketData
    from exposure.models import ExposureModel

MOVE_COLUMNS = ["deal_id", "company_id", "ticker", "role", "date", "move_pct", "basis", "source_url", "notes"]
ROLES = {"payee", "payer"}
#: ``close``: close-to-close one-day move; ``intraday``: a same-day quote that was not confirmed as the close.
BASES = {"close", "intraday"}
#: A move must fall within this many days from the deal's announcement (month-precision dates count from the 1st).
ANNOUNCEMENT_WINDOW_DAYS = 45
_URL = re.compile(r"^https?://\S+$")
Numbers: TypeAlias = "pd.Series | np.ndarray | list[float]"


def load_moves(path: str | Path | None = None) -> pd.DataFrame:
    """Read an announcement-moves table (the bundled one by default); DealWebError names a missing column."""
    source = Path(path) if path is not None else Path(str(resources.files("exposure") / "data"
                                                          / "announcement_moves.csv"))
    try:
        frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise DealWebError(located(f"cannot read the moves table ({error})", file=source,
                                   fix="give a UTF-8 CSV with the columns " + ", ".join(MOVE_COLUMNS) + ".")) from None
    missing = [c for c in MOVE_COLUMNS if c not in frame.columns]
    if missing:
        raise DealWebError(located(f"missing column(s) {', '.join(missing)}", file=source,
                                   fix="add them; the header is " + ",".join(MOVE_COLUMNS) + "."))
    frame = frame[MOVE_COLUMNS].copy()
    frame.attrs["source"] = str(source)
    return frame


def move_problems(moves: pd.DataFrame, web: DealWeb) -> list[str]:
    """Every provenance problem of a moves table, one located line each (an empty list when it is clean).

    A row must name a deal of ``web``, a company that is that deal's payer or payee in the stated role, the
    company's own ticker, a calendar date, a finite move, a basis (close/intraday) and an http(s) source.
    """
    from exposure.dealweb import normalize_ticker

    name = moves.attrs.get("source", "moves table")
    deals = web.deals.set_index("id")
    problems: list[str] = []
    for position, row in enumerate(moves.to_dict("records")):
        line = position + 2  # the header is line 1

        def bad(column: str, message: str, fix: str) -> None:
            problems.append(located(message, file=name, row=line, column=column, fix=fix))  # noqa: B023

        deal_id, company = str(row["deal_id"]), str(row["company_id"])
        if deal_id not in deals.index:
            bad("deal_id", f"deal '{deal_id}' is not in the deal web", "use an id from deals.csv.")
        elif row["role"] not in ROLES:
            bad("role", f"role '{row['role']}' is not payee or payer", "write payee or payer.")
        elif deals.at[deal_id, row["role"]] != company:
            bad("company_id", f"'{company}' is not the {row['role']} of {deal_id}",
                f"the {row['role']} is '{deals.at[deal_id, row['role']]}'.")
        elif normalize_ticker(str(row["ticker"])) != normalize_ticker(str(web.companies.at[company, "ticker"])):
            bad("ticker", f"ticker '{row['ticker']}' is not {company}'s ({web.companies.at[company, 'ticker']})",
                "use the ticker from companies.csv.")
        try:
            day = date.fromisoformat(str(row["date"]))
        except ValueError:
            bad("date", f"'{row['date']}' is not a date", "write YYYY-MM-DD (the trading day of the move).")
        else:
            if deal_id in deals.index and not _near_announcement(day, str(deals.at[deal_id, "announced"])):
                bad("date", f"{day} is not within {ANNOUNCEMENT_WINDOW_DAYS} days from {deal_id}'s announcement "
                    f"({deals.at[deal_id, 'announced']})", "give the move of the day the deal became public.")
        try:
            finite = math.isfinite(float(row["move_pct"]))
        except ValueError:
            finite = False
        if not finite:
            bad("move_pct", f"'{row['move_pct']}' is not a number", "write the reported one-day move in percent.")
        if row["basis"] not in BASES:
            bad("basis", f"'{row['basis']}' is not close or intraday", "say whether the move is a close.")
        if not _URL.match(str(row["source_url"])):
            bad("source_url", "no http(s) source", "cite the report of the move.")
    return problems


def _near_announcement(day: date, announced: str) -> bool:
    """Whether ``day`` falls on or after the announcement (a month counts from its 1st) and within the window."""
    start = date.fromisoformat(announced[:10] if len(announced) >= 10 else announced[:7] + "-01")
    return 0 <= (day - start).days <= ANNOUNCEMENT_WINDOW_DAYS


def as_announced(model: ExposureModel) -> ExposureModel:
    """``model`` with lapsed and terminated deals weighted as announced ones.

    The announcement-day move priced the deal as it was announced; that it lapsed later (Nvidia's letter of
    intent with OpenAI) is a different event, so the comparison keeps such deals at their announced weight.
    """
    from exposure.taxonomy import Status

    weights = dict(model.status_weights)
    for status in (Status.lapsed, Status.terminated):
        weights[status] = weights.get(Status.announced, 1.0)
    return model.model_copy(update={"status_weights": weights})


def market_table(moves: pd.DataFrame, web: DealWeb, model: ExposureModel | None = None) -> pd.DataFrame:
    """One row per move with the model's dependence of the company on the deal's counterparty.

    Columns: ``deal_id, company_id, ticker, role, counterparty, date, move_pct, basis`` and
    ``dependence`` (``L[company, counterparty]``, all deals between the two), ``deal_dependence`` (this
    deal's own part of it), ``channels`` (the channels it entered by, blank when it entered none),
    ``annual_usd_bn`` (the contract's counted annual value), ``revenue_share`` (annual / the company's
    revenue), ``model_share`` (annual / F, the revenue channel at kappa = 1) and ``implied_kappa``
    (``move / 100 / model_share``; contracts' payees only). Deals that lapsed later count as announced
    (:func:`as_announced`). Raises DealWebError on any provenance problem.
    """
    from exposure.models import ExposureModel

    model = as_announced(model or ExposureModel())
    problems = move_problems(moves, web)
    if problems:
        raise DealWebError(problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    sensitivity = web.sensitivity(model)
    matrix = sensitivity.matrix.tocsr()
    deals = web.deals.set_index("id")
    pieces = sensitivity.contributions
    rows = []
    for row in moves.to_dict("records"):
        company, deal_id = row["company_id"], row["deal_id"]
        other = deals.at[deal_id, "payer" if row["role"] == "payee" else "payee"]
        own = pieces[(pieces["deal_id"] == deal_id) & (pieces["affected"] == company) & (pieces["source"] == other)]
        revenue_part = own[own["channel"] == "revenue"]
        annual = float(revenue_part["annual_usd_bn"].sum()) if len(revenue_part) else np.nan
        share = float(revenue_part["value"].sum()) / model.kappa if len(revenue_part) and model.kappa > 0 else np.nan
        revenue = float(web.companies.at[company, "revenue_usd_bn"])
        move = float(row["move_pct"])
        rows.append({
            "deal_id": deal_id, "company_id": company, "ticker": row["ticker"], "role": row["role"],
            "counterparty": other, "date": row["date"], "move_pct": move, "basis": row["basis"],
            "dependence": float(matrix[sensitivity.index[company], sensitivity.index[other]]),
            "deal_dependence": float(own["value"].sum()),
            "channels": ",".join(sorted(set(own["channel"]))),
            "annual_usd_bn": annual,
            "revenue_share": annual / revenue if revenue > 0 else np.nan,
            "model_share": share,
            "implied_kappa": move / 100 / share if share > 0 else np.nan,
        })
    return pd.DataFrame(rows)


def spearman(x: Numbers, y: Numbers) -> tuple[float, float, int]:
    """Spearman rank correlation of the pairs where both are known: ``(rho, two-sided p-value, n)``.

    Ties get average ranks (scipy). Fewer than 3 pairs, or a constant side, give ``rho = NaN``.
    """
    from scipy.stats import spearmanr

    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    n = int(keep.sum())
    if n < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan, math.nan, n
    result = spearmanr(a, b)
    return float(result.statistic), float(result.pvalue), n


def rank_correlations(table: pd.DataFrame) -> pd.DataFrame:
    """Spearman of ``dependence`` against the signed ``move_pct`` on four samples, indexed by sample.

    ``all moves``; ``deal in L`` (the deal entered L for that company: rows where the model says nothing
    because an amount or a revenue is missing are left out); ``payees``; ``closing moves``.
    Columns ``n, rho, p_value, low, high`` (``low``/``high``: the 95% interval of :func:`rho_interval`).
    """
    samples = {
        "all moves": table,
        "deal in L": table[table["deal_dependence"] > 0],
        "payees": table[table["role"] == "payee"],
        "closing moves": table[table["basis"] == "close"],
    }
    rows = {}
    for label, part in samples.items():
        rho, p_value, n = spearman(part["dependence"], part["move_pct"])
        low, high = rho_interval(rho, n)
        rows[label] = {"n": n, "rho": rho, "p_value": p_value, "low": low, "high": high}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    return frame.astype({"n": int})


def rho_interval(rho: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Approximate 95% interval of a Spearman rho: Fisher's z with standard error ``1.06 / sqrt(n - 3)``.

    Fieller, Hartley and Pearson (1957); NaN for fewer than 4 pairs or an undefined rho.
    """
    if n < 4 or not np.isfinite(rho) or abs(rho) >= 1:
        return math.nan, math.nan
    center, half = math.atanh(rho), z * 1.06 / math.sqrt(n - 3)
    return math.tanh(center - half), math.tanh(center + half)


def elasticity(table: pd.DataFrame, model: ExposureModel | None = None) -> pd.Series:
    """The revenue-to-value elasticity the market implies, beside the model's ``kappa``.

    ``n`` contracts with a revenue-channel entry; ``median`` of their implied kappas; ``fit``, the kappa
    of the least-squares line through the origin ``move/100 = kappa * model_share`` (large deals weigh
    most); ``below_model``, the share of deals whose implied kappa is below the model's.
    """
    from exposure.models import ExposureModel

    model = model or ExposureModel()
    part = table[np.isfinite(table["implied_kappa"])]
    share, move = part["model_share"].to_numpy(float), part["move_pct"].to_numpy(float) / 100
    fit = float(share @ move / (share @ share)) if len(part) else math.nan
    implied = part["implied_kappa"]
    return pd.Series({
        "n": len(part), "median": float(implied.median()) if len(part) else math.nan, "fit": fit,
        "model_kappa": model.kappa, "below_model": float((implied < model.kappa).mean()) if len(part) else math.nan,
    })


def summarize(correlations: pd.DataFrame, kappa: pd.Series) -> str:
    """A few plain sentences on the result, saying how strong or weak it is."""
    main = correlations.loc["deal in L"]
    every = correlations.loc["all moves"]
    strength = ("no evidence either way" if not np.isfinite(main["rho"]) else
                "strong" if abs(main["rho"]) >= 0.7 else "moderate" if abs(main["rho"]) >= 0.4 else "weak")
    lines = [
        f"Rank: over {int(main['n'])} announcement-day moves whose deal entered L, Spearman rho between the "
        f"model's first-order dependence and the move is {main['rho']:.2f} (95% interval {main['low']:.2f} to "
        f"{main['high']:.2f}, {_p(main['p_value'])}): {strength} by the usual 0.7/0.4 cut-offs, with a wide "
        f"interval. Over all {int(every['n'])} moves, rho = {every['rho']:.2f} ({_p(every['p_value'])}).",
    ]
    if kappa["n"]:
        lines.append(
            f"Size: over {int(kappa['n'])} contracts the implied revenue-to-value elasticity has median "
            f"{kappa['median']:.2f} and least-squares fit {kappa['fit']:.2f}, against the model's kappa = "
            f"{kappa['model_kappa']:.2f}; {kappa['below_model']:.0%} of deals imply less.")
    lines.append("Caveats: a small sample of reported one-day moves, not abnormal returns; several days also "
                 "carried earnings or other news (see the notes column).")
    return "\n".join(lines)


def _p(value: float) -> str:
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


@dataclass
class Validation:
    """The comparison: the row-level ``table``, ``correlations``, ``kappa`` and a short ``text``."""

    table: pd.DataFrame
    correlations: pd.DataFrame
    kappa: pd.Series
    text: str

    def __repr__(self) -> str:
        return f"Validation({len(self.table)} moves)\n{self.text}"


def validate(web: DealWeb | None = None, moves: pd.DataFrame | None = None,
             model: ExposureModel | None = None) -> Validation:
    """Compare the model with the announcement moves (the bundled web and table by default)."""
    from exposure.dealweb import DealWeb

    web = web if web is not None else DealWeb.bundled()
    moves = moves if moves is not None else load_moves()
    table = market_table(moves, web, model)
    correlations = rank_correlations(table)
    kappa = elasticity(table, model)
    return Validation(table=table, correlations=correlations, kappa=kappa, text=summarize(correlations, kappa))


def listed_hubs(web: DealWeb, model: ExposureModel | None = None, top: int = 5) -> list[str]:
    """The ``top`` listed companies that the rest of the web depends on most (largest column sums of L)."""
    sensitivity = web.sensitivity(model)
    totals = pd.Series(np.asarray(sensitivity.matrix.sum(axis=0)).ravel(), index=sensitivity.ids)
    listed = totals[totals.index.isin(web.listed.index)]
    return list(listed[listed > 0].sort_values(ascending=False).index[:top])


def rolling_betas(prices: pd.DataFrame, companies: list[str], hubs: list[str], window: int = 60) -> pd.DataFrame:
    """Latest ``window``-day beta of each company's daily return on each hub's (rows companies, columns hubs).

    ``prices`` holds one close per day and ticker (columns are tickers); beta = cov(r_company, r_hub) /
    var(r_hub) over the last ``window`` daily returns. A company against itself is left blank.
    """
    returns = prices.sort_index().pct_change(fill_method=None).iloc[1:]
    if len(returns) < window:
        raise MarketDataError(f"rolling betas need at least {window + 1} daily prices, got {len(prices)}. "
                              "Fix: run with --live (the bundled snapshot has one price per ticker).")
    recent = returns.iloc[-window:]
    betas = pd.DataFrame(index=companies, columns=hubs, dtype=float)
    for hub in hubs:
        variance = recent[hub].var()
        for company in companies:
            if company != hub and variance > 0:
                betas.at[company, hub] = recent[company].cov(recent[hub]) / variance
    return betas


def market_betas(market: MarketData, web: DealWeb, model: ExposureModel | None = None, window: int = 60,
                 days: int = 365) -> pd.DataFrame:
    """Rolling betas of every listed company to the listed hubs, beside the model's ``L[company, hub]``.

    Long format: ``company_id, hub, beta, dependence``. Needs a provider with a price history
    (``YFinanceProvider``); the offline snapshot raises MarketDataError saying so.
    """
    end = pd.Timestamp.today().normalize()
    hubs = listed_hubs(web, model)
    tickers = web.listed["ticker"].astype(str)
    prices = market.prices(list(tickers), start=end - pd.Timedelta(days=days), end=end)
    by_ticker = prices.rename(columns={t: cid for cid, t in tickers.items()})
    have = [c for c in tickers.index if c in by_ticker and by_ticker[c].notna().sum() > window]
    betas = rolling_betas(by_ticker[have], have, [h for h in hubs if h in have], window)
    sensitivity = web.sensitivity(model)
    long = betas.stack().rename("beta").reset_index().set_axis(["company_id", "hub", "beta"], axis=1)
    long["dependence"] = [float(sensitivity.matrix[sensitivity.index[c], sensitivity.index[h]])
                          for c, h in zip(long["company_id"], long["hub"], strict=True)]
    return long

"""Stress scenarios: what a hub's fall or failure to pay costs a portfolio (docs/methods.md, section 4).

:func:`stress` maps a portfolio onto the deal web, shocks some companies, propagates the losses with
linear DebtRank (main number), original DebtRank (lower bound) and a non-linear DebtRank alpha sweep
(sensitivity), and returns a :class:`StressResult`. "X fails to pay" scenarios first clear the contract
layer with Eisenberg-Noe. Named scenarios ship in ``exposure/data/scenarios.csv``; users write their own
in the same format and load them with :func:`load_scenarios`.
"""

from __future__ import annotations

import html
import io
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from exposure.contagion import (
    creditor_shortfall,
    eisenberg_noe,
    linear_debtrank,
    nonlinear_debtrank,
    original_debtrank,
    split_rounds,
)
from exposure.errors import ScenarioError, located
from exposure.files import read_text
from exposure.report import frame_html, jsonable, percent

if TYPE_CHECKING:
    import scipy.sparse as sp

    from exposure.analyze import Context
    from exposure.dealweb import DealWeb
    from exposure.market import MarketData
    from exposure.models import ExposureModel
    from exposure.portfolio import Portfolio

__all__ = ["METHODS", "SCENARIO_COLUMNS", "Scenario", "StressResult", "load_scenarios", "stress",
           "stress_context"]

#: Propagation methods :func:`stress` accepts for its main number.
METHODS = ("linear", "original", "nonlinear")
#: Columns of a scenario file.
SCENARIO_COLUMNS = ["scenario", "description", "company", "shock", "kind"]
_KINDS = ("shock", "default")


@dataclass(frozen=True)
class Scenario:
    """A named stress: ``shocks`` (company -> fraction of value lost, in [0, 1]) and ``defaults``
    (company -> annual resources in USD bn it can put towards its contracts; None = its latest revenue).
    Companies are ids, names or tickers, resolved against the web when the scenario runs."""

    name: str
    description: str = ""
    shocks: dict[str, float] = field(default_factory=dict)
    defaults: dict[str, float | None] = field(default_factory=dict)


@dataclass
class StressResult:
    """What a scenario costs. Every loss is a fraction (of a company's value or of portfolio value).

    Attributes
    ----------
    portfolio_loss : loss of portfolio value under ``method`` (linear DebtRank by default): look-through
        weights times company losses; a held company that is shocked loses its shock directly.
    lower_bound : a loss ``portfolio_loss`` cannot go below, by a method that bounds ``method`` from
        below (``lower_bound_method`` names it): original DebtRank for linear DebtRank (Bardoscia et al.
        2015); non-linear DebtRank with alpha = inf (only defaults pass on) for non-linear DebtRank with
        alpha > 0 (losses fall as alpha rises); the shock alone for original DebtRank. Original DebtRank
        does NOT bound non-linear DebtRank with alpha > 0.
    upper_bound : a loss ``portfolio_loss`` cannot exceed (``upper_bound_method``): linear DebtRank for
        the original and non-linear methods; None for linear DebtRank.
    direct_loss, network_loss : ``portfolio_loss`` split into the first round (the shock and one step of
        propagation) and later rounds (chains of two deals or more).
    companies : per company id with a loss: ``name, layer, shock, first_round, later_rounds, total,
        lower_bound`` (by ``lower_bound_method``), largest ``total`` first.
    holdings : per look-through holding: ``ticker, name, company_id, via, weight, loss, contribution``
        (``contribution = weight * loss``), largest first. Unmapped holdings and cash lose nothing.
    sensitivity : non-linear DebtRank sweep, ``alpha, portfolio_loss`` (alpha 0 = linear; larger alpha
        passes on less of a partial loss).
    clearing : for "fails to pay" scenarios, Eisenberg-Noe results per company in USD bn a year
        (``owed_usd_bn, resources_usd_bn, paid_usd_bn, unpaid_to_it_usd_bn, shock``); else None.
    """

    portfolio_loss: float
    lower_bound: float
    direct_loss: float
    network_loss: float
    companies: pd.DataFrame
    holdings: pd.DataFrame
    sensitivity: pd.DataFrame
    clearing: pd.DataFrame | None
    method: str
    shocks: dict[str, float]
    defaults: dict[str, float]
    scenario: str | None = None
    description: str = ""
    notes: list[str] = field(default_factory=list)
    alpha: float = 1.0
    lower_bound_method: str = "original DebtRank"
    upper_bound: float | None = None
    upper_bound_method: str | None = None

    def method_label(self) -> str:
        """The main number's method, e.g. ``linear DebtRank`` or ``non-linear DebtRank, alpha 2``."""
        if self.method == "nonlinear":
            return f"non-linear DebtRank, alpha {self.alpha:g}"
        return f"{self.method} DebtRank"

    def bounds(self) -> str:
        """The bounds, each labeled with the method that gives it."""
        text = f"lower bound {percent(self.lower_bound)} ({self.lower_bound_method})"
        if self.upper_bound is not None:
            text += f", upper bound {percent(self.upper_bound)} ({self.upper_bound_method})"
        return text

    def summary(self) -> str:
        """One line: the loss, its bounds and split."""
        return (f"{self._label()}: the portfolio loses {percent(self.portfolio_loss)} of its value "
                f"({self.method_label()}; {self.bounds()}; first round "
                f"{percent(self.direct_loss)}, later rounds {percent(self.network_loss)}).")

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain Python with stable keys (for ``--format json``)."""
        return jsonable({
            "scenario": self.scenario, "description": self.description, "method": self.method,
            "shocks": self.shocks, "defaults": self.defaults,
            "portfolio_loss": self.portfolio_loss, "lower_bound": self.lower_bound,
            "lower_bound_method": self.lower_bound_method, "upper_bound": self.upper_bound,
            "upper_bound_method": self.upper_bound_method, "alpha": self.alpha if self.method == "nonlinear" else None,
            "direct_loss": self.direct_loss, "network_loss": self.network_loss,
            "companies": self.companies, "holdings": self.holdings, "sensitivity": self.sensitivity,
            "clearing": self.clearing, "notes": self.notes,
        })

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON."""
        return json.dumps(self.to_dict(), indent=indent)

    def __str__(self) -> str:
        top = self.holdings[self.holdings["contribution"] > 0].head(3)
        carried = ", ".join(f"{t} {percent(c)}" for t, c in zip(top["ticker"], top["contribution"], strict=True))
        return self.summary() + (f" Carried by {carried}." if carried else "")

    def __repr__(self) -> str:
        hit = int((self.companies["total"] > 0).sum())
        return (f"StressResult({self._label()}: portfolio loss {percent(self.portfolio_loss)} ({self.method} "
                f"DebtRank), lower bound {percent(self.lower_bound)}, {hit} companies hit)")

    def _label(self) -> str:
        if self.scenario:
            return f"Scenario {self.scenario}"
        parts = [f"{cid} -{percent(v)}" for cid, v in self.shocks.items()]
        parts += [f"{cid} fails to pay" for cid in self.defaults]
        return "Stress " + ", ".join(parts)

    def _repr_html_(self) -> str:
        losses = ["shock", "first_round", "later_rounds", "total", "lower_bound"]
        held = self.holdings[self.holdings["contribution"] > 0]
        parts = [f"<div><h4>{html.escape(self._label())}</h4>",
                 f"<p>{html.escape(self.description)}</p>" if self.description else "",
                 f"<p><b>Portfolio loss {percent(self.portfolio_loss)}</b> ({html.escape(self.method_label())}), "
                 f"{html.escape(self.bounds())}; first round {percent(self.direct_loss)}, later rounds "
                 f"{percent(self.network_loss)}.</p>",
                 "<h5>Holdings that carry it</h5>", frame_html(held, ["weight", "loss", "contribution"]),
                 "<h5>Company losses</h5>", frame_html(self.companies, losses),
                 "<h5>Sensitivity (non-linear DebtRank)</h5>", frame_html(self.sensitivity, ["portfolio_loss"])]
        if self.clearing is not None:
            parts += ["<h5>Contract clearing (Eisenberg-Noe, USD bn a year)</h5>",
                      frame_html(self.clearing, ["shock"])]
        if self.notes:
            parts.append(f"<p><small>{html.escape(' '.join(self.notes))}</small></p>")
        return "".join(parts) + "</div>"


# --------------------------------------------------------------------------------------------------
# public entry points
# --------------------------------------------------------------------------------------------------

def stress(pf: Portfolio, web: DealWeb | None = None, shocks: Mapping[str, float] | None = None,
           defaults: Mapping[str, float | None] | None = None, method: str = "linear",
           model: ExposureModel | None = None, alphas: Iterable[float] = (0, 1, 5),
           market: MarketData | None = None, *, alpha: float = 1.0,
           scenario: str | Scenario | None = None) -> StressResult:
    """Stress a portfolio: shocked companies lose value, losses spread through the deal web.

    Parameters
    ----------
    pf : the holdings.
    web : the deal web; the bundled one when omitted.
    shocks : company (id, name or ticker) -> fraction of its value lost, in [0, 1]
        (``{"openai": 0.5}``: OpenAI loses half its value).
    defaults : company -> annual resources in USD bn it can put towards its contracts, or None for its
        latest annual revenue ("fails to pay", see :func:`stress_context`).
    method : ``"linear"`` (default, linear DebtRank), ``"original"`` or ``"nonlinear"`` (with ``alpha``).
    model : how deals become dependence (``ExposureModel()`` defaults).
    alphas : non-linear DebtRank alphas for the sensitivity sweep, each >= 0.
    market : market data provider (bundled snapshot by default).
    alpha : non-linearity of ``method="nonlinear"``.
    scenario : a bundled scenario's name (see :func:`load_scenarios`) or a :class:`Scenario`, instead of
        ``shocks``/``defaults``.

    Returns
    -------
    StressResult, losses as fractions of value.

    Examples
    --------
    >>> import exposure as ex
    >>> pf = ex.Portfolio.from_weights({"ORCL": 0.5, "NVDA": 0.5})
    >>> res = ex.stress(pf, shocks={"openai": 0.5})
    >>> 0 < res.lower_bound <= res.portfolio_loss < 1
    True

    References
    ----------
    Bardoscia et al. (2015), PLOS ONE 10(6): e0130406; Battiston et al. (2012), Sci. Rep. 2:541;
    Bardoscia et al. (2016), PLOS ONE 11(10): e0163825; Eisenberg & Noe (2001), Mgmt Sci 47(2).
    """
    from exposure.analyze import build_context

    name, description = None, ""
    if scenario is not None:
        if shocks or defaults:
            raise ScenarioError("give either a scenario or shocks/defaults, not both.")
        chosen = scenario if isinstance(scenario, Scenario) else _pick(load_scenarios(), scenario, "bundled")
        shocks, defaults = chosen.shocks, chosen.defaults
        name, description = chosen.name, chosen.description
    _check_method(method)
    ctx = build_context(pf, web, model, market)
    result = stress_context(ctx, shocks, defaults, method=method, alphas=alphas, alpha=alpha)
    result.scenario, result.description = name, description
    return result


def stress_context(ctx: Context, shocks: Mapping[str, float] | None = None,
                   defaults: Mapping[str, float | None] | None = None, method: str = "linear",
                   alphas: Iterable[float] = (0, 1, 5), alpha: float = 1.0) -> StressResult:
    """:func:`stress` on an already built :class:`~exposure.analyze.Context` (one portfolio, one web).

    "Fails to pay" (``defaults``), step by step (docs/methods.md, section 4):

    1. The contract layer: what each company owes each supplier a year, the annual values of the web's
       contract deals exactly as they enter ``L`` (status weights, gigawatt estimates, default durations).
    2. Eisenberg-Noe clearing. A defaulter's external assets are the given resources (None = its latest
       annual revenue, 0 if unknown). Every other company is assumed to honor its contracts (external
       assets = what it owes): the web's contracts are forward commitments funded by raises the data does
       not hold, so with revenue as their assets most labs would "default" before any shock. What a
       defaulter receives from other defaulters is cleared jointly.
    3. Each creditor's shock is its unpaid revenue over its forward revenue, the revenue-dependence unit
       of ``L``: ``sum_j kappa * unpaid_annual_from_j / F_q`` (so paying nothing gives exactly the
       contract part of ``L[q, j]``). The defaulter itself is shocked by 1 (its equity is wiped out).
    4. Linear DebtRank on ``L`` without the defaulters' revenue edges (their effect is in step 3 and must
       not be counted twice); value and funding edges to the defaulters still propagate.
    """
    _check_method(method)
    web = ctx.web
    h0 = np.zeros(len(ctx.ids))
    shock_ids = _resolved_shocks(web, shocks or {})
    for cid, value in shock_ids.items():
        h0[ctx.index[cid]] = value
    default_ids = _resolved_defaults(web, defaults or {})
    if not shock_ids and not default_ids:
        raise ScenarioError("no shock given. Fix: give shocks={'openai': 0.5}, defaults={'openai': None} or a "
                            "scenario (see `exposure scenarios`).")
    overlap = sorted(set(shock_ids) & set(default_ids))
    if overlap:
        raise ScenarioError(f"{', '.join(overlap)} is both shocked and in default. Fix: a defaulter is "
                            "already wiped out (shock 1); give it only as a default.")

    L = ctx.L
    clearing = None
    notes = list(ctx.notes)
    if default_ids:
        L, h_default, clearing = _clear_contracts(ctx, default_ids)
        h0 = np.minimum(1.0, h0 + h_default)
        for cid in default_ids:
            h0[ctx.index[cid]] = 1.0
        notes.append("Fails to pay: other companies assumed to honor their contracts; creditors' shocks are "
                     "unpaid annual revenue over forward revenue; the defaulter's value is wiped out.")

    sweep = [float(a) for a in alphas]
    h_main = _propagate(L, h0, method, alpha)
    h_low, low_method, h_high, high_method = _bounds(L, h0, method, alpha)
    swept = [float(ctx.weights @ nonlinear_debtrank(L, h0, alpha=a)) for a in sweep]
    first, later = split_rounds(L, h0, h_main)

    w = ctx.weights
    companies = web.companies
    table = pd.DataFrame({
        "name": companies.loc[ctx.ids, "name"].to_numpy(), "layer": companies.loc[ctx.ids, "layer"].to_numpy(),
        "shock": h0, "first_round": first, "later_rounds": later, "total": h_main, "lower_bound": h_low,
    }, index=pd.Index(ctx.ids, name="company"))
    table = table[table["total"] > 0].sort_values(["total", "shock"], ascending=False, kind="stable")

    loss_of = dict(zip(ctx.ids, h_main, strict=True))
    held = ctx.holdings.copy()
    held["loss"] = [loss_of.get(cid, 0.0) if isinstance(cid, str) else 0.0 for cid in held["company_id"]]
    held["contribution"] = held["weight"] * held["loss"]
    held = held[["ticker", "name", "company_id", "via", "weight", "loss", "contribution"]]
    held = held.sort_values("contribution", ascending=False, kind="stable").reset_index(drop=True)
    held.index.name = "holding"

    return StressResult(
        portfolio_loss=float(w @ h_main), lower_bound=float(w @ h_low), direct_loss=float(w @ first),
        network_loss=float(w @ later), companies=table, holdings=held,
        sensitivity=pd.DataFrame({"alpha": sweep, "portfolio_loss": swept}),
        clearing=clearing, method=method, shocks=shock_ids,
        defaults={cid: float(v) for cid, v in default_ids.items()}, notes=notes, alpha=float(alpha),
        lower_bound_method=low_method, upper_bound=None if h_high is None else float(w @ h_high),
        upper_bound_method=high_method,
    )


def load_scenarios(path: str | Path | None = None) -> dict[str, Scenario]:
    """Named scenarios from a CSV file; the bundled ``exposure/data/scenarios.csv`` when ``path`` is None.

    The file has columns ``scenario, description, company, shock, kind``, one row per company a scenario
    touches. ``kind`` is ``shock`` (``shock`` = fraction of value lost, in [0, 1]) or ``default``
    (``shock`` = annual resources in USD bn the company can put towards its contracts; blank = its latest
    revenue). Rows with the same ``scenario`` form one scenario. Companies are checked against the web
    when the scenario runs. Errors name the file, row (line number) and column, and the fix.
    """
    if path is None:
        source = Path(str(resources.files("exposure") / "data" / "scenarios.csv"))
    else:
        source = Path(path)
    text = read_text(source, what="scenario", error=ScenarioError).text
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=True)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ScenarioError(f"{source}: cannot read the scenario file as CSV ({reason}). Fix: save it as "
                            f"UTF-8 comma-separated values with the header {','.join(SCENARIO_COLUMNS)}.") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ("scenario", "company", "shock") if c not in frame.columns]
    if missing:
        raise ScenarioError(located(f"missing column(s) {', '.join(missing)}", file=source,
                                    fix=f"the header must be {','.join(SCENARIO_COLUMNS)}."))
    if frame.empty:
        raise ScenarioError(located("no scenarios in the file", file=source,
                                    fix="add one row per company a scenario shocks."))
    scenarios: dict[str, Scenario] = {}
    seen: dict[tuple[str, str], int] = {}
    for position, raw in enumerate(frame.to_dict("records")):
        row = position + 2
        values = {k: str(v).strip() for k, v in raw.items()}
        name, company = values["scenario"], values["company"]
        kind = (values.get("kind") or "shock").lower()
        if not name:
            raise ScenarioError(located("empty scenario name", file=source, row=row, column="scenario",
                                        fix="name the scenario (letters, digits, _), e.g. openai_half."))
        if not company:
            raise ScenarioError(located("empty company", file=source, row=row, column="company",
                                        fix="give a company id, name or ticker, e.g. openai."))
        if kind not in _KINDS:
            raise ScenarioError(located(f"unknown kind '{kind}'", file=source, row=row, column="kind",
                                        fix="use shock (fraction of value lost) or default (fails to pay)."))
        key = (name, company.upper())
        if key in seen:
            raise ScenarioError(located(f"company '{company}' appears twice in scenario '{name}' (first on row "
                                        f"{seen[key]})", file=source, row=row, column="company",
                                        fix="give each company one row per scenario."))
        seen[key] = row
        value = _number(values["shock"], kind, source, row)
        current = scenarios.get(name) or Scenario(name=name, description=values.get("description", ""))
        if kind == "shock":
            current.shocks[company] = float(value)  # type: ignore[arg-type]
        else:
            current.defaults[company] = value
        if not current.description and values.get("description"):
            current = Scenario(name, values["description"], current.shocks, current.defaults)
        scenarios[name] = current
    return scenarios


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------

def _pick(scenarios: dict[str, Scenario], name: str, where: str) -> Scenario:
    """One scenario by name (case-insensitive), with the available names in the error."""
    wanted = name.strip().lower()
    for key, value in scenarios.items():
        if key.lower() == wanted:
            return value
    raise ScenarioError(f"unknown scenario '{name}' in the {where} scenarios. Fix: use one of "
                        f"{', '.join(sorted(scenarios))} (see `exposure scenarios`).")


def _number(text: str, kind: str, source: Path, row: int) -> float | None:
    """The ``shock`` cell: a fraction in [0, 1] (``50%`` accepted) or, for defaults, USD bn >= 0 / blank."""
    if text == "" and kind == "default":
        return None
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        value = math.nan
    if kind == "shock":
        if not (0 <= value <= 1):
            raise ScenarioError(located(f"shock '{text}' is not a fraction in [0, 1]", file=source, row=row,
                                        column="shock", fix="write the fraction of value lost, e.g. 0.5 or 50%."))
    elif not (math.isfinite(value) and value >= 0):
        raise ScenarioError(located(f"resources '{text}' are not a number of USD bn >= 0", file=source, row=row,
                                    column="shock", fix="write the company's annual resources in USD bn, or "
                                    "leave it blank for its latest revenue."))
    return value


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ScenarioError(f"unknown method '{method}'. Fix: use one of {', '.join(METHODS)}.")


def _resolved_shocks(web: DealWeb, shocks: Mapping[str, float]) -> dict[str, float]:
    """Company id -> shock, each checked to be a fraction in [0, 1]."""
    out: dict[str, float] = {}
    for key, value in shocks.items():
        cid = web.resolve(key)
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not (0 <= number <= 1):
            raise ScenarioError(f"shock for '{key}' is {value!r}: a shock is the fraction of value lost, in "
                                "[0, 1]. Fix: e.g. openai=0.5 for half.")
        if cid in out:
            raise ScenarioError(f"'{key}' names {cid}, which is already shocked. Fix: shock each company once.")
        out[cid] = number
    return out


def _resolved_defaults(web: DealWeb, defaults: Mapping[str, float | None]) -> dict[str, float]:
    """Company id -> annual resources in USD bn (None -> latest revenue, 0 when unknown)."""
    out: dict[str, float] = {}
    for key, value in defaults.items():
        cid = web.resolve(key)
        if value is None:
            revenue = web.companies.at[cid, "revenue_usd_bn"]
            number = 0.0 if pd.isna(revenue) else float(revenue)
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = math.nan
            if not (math.isfinite(number) and number >= 0):
                raise ScenarioError(f"resources of '{key}' are {value!r}, not a finite amount >= 0. Fix: give "
                                    f"the USD bn a year it can pay ({key}=13), or the company alone (None in "
                                    "Python) for its latest revenue.")
        if cid in out:
            raise ScenarioError(f"'{key}' names {cid}, which already defaults. Fix: name each company once.")
        out[cid] = number
    return out


def _clear_contracts(ctx: Context, defaults: dict[str, float]) -> tuple[sp.csr_matrix, np.ndarray, pd.DataFrame]:
    """Eisenberg-Noe on the contract layer; returns (L without the defaulters' revenue edges, creditors'
    shocks, clearing table). See :func:`stress_context` for the assumptions."""
    import scipy.sparse as sp  # slow to import: only a default (contract clearing) needs it

    n = len(ctx.ids)
    rev = ctx.sensitivity.contributions
    rev = rev[rev["channel"] == "revenue"]
    payer = rev["source"].map(ctx.index).to_numpy(dtype=np.int64)
    payee = rev["affected"].map(ctx.index).to_numpy(dtype=np.int64)
    annual = rev["annual_usd_bn"].to_numpy(dtype=float)
    liabilities = sp.csr_matrix((annual, (payer, payee)), shape=(n, n))
    owed = np.asarray(liabilities.sum(axis=1)).ravel()
    resources_ = owed.copy()
    positions = [ctx.index[cid] for cid in defaults]
    resources_[positions] = list(defaults.values())
    paid, defaulted = eisenberg_noe(liabilities, resources_)
    unpaid_share = np.divide(owed - paid, owed, out=np.zeros(n), where=owed > 0)

    # Revenue edges carry the unit kappa / F_q per USD of annual revenue: value * unpaid share of its payer.
    from_defaulter = np.isin(payer, positions)
    dependence = sp.csr_matrix((rev["value"].to_numpy(dtype=float), (payee, payer)), shape=(n, n))
    shock = np.minimum(1.0, dependence @ unpaid_share)
    removed = sp.csr_matrix((rev["value"].to_numpy(dtype=float)[from_defaulter],
                             (payee[from_defaulter], payer[from_defaulter])), shape=(n, n))
    kept = (ctx.L - removed).tocsr()
    kept.data = np.where(kept.data < 1e-15, 0.0, kept.data)   # exact cancellation up to rounding
    kept.eliminate_zeros()

    unpaid_to = creditor_shortfall(liabilities, paid)
    show = np.zeros(n, dtype=bool)
    show[positions] = True
    show |= (unpaid_to > 0) | defaulted
    idx = np.flatnonzero(show)
    resources_col = np.full(n, np.nan)
    resources_col[positions] = list(defaults.values())
    shock_col = shock.copy()
    shock_col[positions] = 1.0
    table = pd.DataFrame({
        "name": ctx.web.companies.loc[[ctx.ids[k] for k in idx], "name"].to_numpy(),
        "owed_usd_bn": owed[idx], "resources_usd_bn": resources_col[idx], "paid_usd_bn": paid[idx],
        "unpaid_to_it_usd_bn": unpaid_to[idx], "shock": shock_col[idx],
    }, index=pd.Index([ctx.ids[k] for k in idx], name="company"))
    table = table.sort_values(["resources_usd_bn", "unpaid_to_it_usd_bn"], ascending=False, kind="stable",
                              na_position="last")
    return kept, shock, table


def _propagate(L: sp.csr_matrix, h0: np.ndarray, method: str, alpha: float) -> np.ndarray:
    if method == "linear" or (method == "nonlinear" and alpha == 0):
        return linear_debtrank(L, h0)
    if method == "original":
        return original_debtrank(L, h0)
    return nonlinear_debtrank(L, h0, alpha=alpha)


def _bounds(L: sp.csr_matrix, h0: np.ndarray, method: str,
            alpha: float) -> tuple[np.ndarray, str, np.ndarray | None, str | None]:
    """Company losses that bound ``method`` from below and above, each with the name of its method.

    Original DebtRank bounds *linear* DebtRank from below (Bardoscia et al. 2015), not non-linear
    DebtRank with alpha > 0, whose losses fall as alpha rises (Bardoscia et al. 2016): its bounds are
    alpha = inf (only defaults pass on) below and alpha = 0 (linear DebtRank) above.
    """
    if method == "linear" or (method == "nonlinear" and alpha == 0):
        return original_debtrank(L, h0), "original DebtRank", None, None
    linear = linear_debtrank(L, h0)
    if method == "original":
        return h0, "the shock alone", linear, "linear DebtRank"
    return (nonlinear_debtrank(L, h0, alpha=np.inf), "non-linear DebtRank with alpha = inf (only defaults pass on)",
            linear, "linear DebtRank")


"""The names a suggestion may buy: a user's universe, or the default diversifier fund chosen by a stated rule
(:func:`_reinvestment`), and the web's listed companies in banded layers; each with its look-through mix."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from exposure.optimize.constraints import Constraints
from exposure.optimize.inputs import fund_rows, load_universe, resolve_hub
from exposure.portfolio import CASH_TICKERS

if TYPE_CHECKING:
    from exposure.dealweb import DealWeb
    from exposure.market import MarketData


#: The categories of universe.csv that take sale proceeds, in order of preference: broad market first, then
#: ex-US, then bonds. One fund only, so that two near-duplicates (BND and AGG) are never both bought.
REINVEST_ORDER = ("broad_fund", "ex_us_fund", "bond_fund")


def add_universe(constraints: Constraints, web: DealWeb, market: MarketData, w0: dict[str, float],
                  compositions: dict[str, dict[str, float]], layer_mix: dict[str, dict[str, float]],
                  names: dict[str, str], funds: set[str], notes: list[str]) -> None:
    """Add the names the suggestion may buy: the given universe, or by default one diversifier fund
    (:func:`_reinvestment`) and the web's listed companies in banded layers (none with ``new_names=False``)."""
    if not constraints.new_names:
        return
    listed = load_universe()  # the bundled funds' names and layers, also for a user's universe that names them
    if constraints.universe is not None:
        extra = [str(t).strip().upper() for t in constraints.universe]
    else:
        banded = set(constraints.layer_bands)
        extra = [t for t in web.listed["ticker"]
                 if (cid := web.company_for_ticker(t)) is not None and str(web.layer_of[cid]) in banded]
        extra += _reinvestment(constraints, web, market, listed, w0, notes)
    securities: set[str] = getattr(market, "securities", set)()
    held_companies = {cid for comp in compositions.values() for cid, s in comp.items() if s == 1.0}
    layer_of, name_of = web.companies["layer"].to_dict(), web.companies["name"].to_dict()  # .at is slow per name
    for ticker in extra:
        if ticker in w0 or ticker in CASH_TICKERS:
            continue
        cid = web.company_for_ticker(ticker)
        if cid is not None:
            if cid in held_companies:
                continue  # held through another share class or alias
            compositions[ticker], layer_mix[ticker] = {cid: 1.0}, {str(layer_of[cid]): 1.0}
            names[ticker] = str(name_of[cid])
            held_companies.add(cid)
        elif (rows := fund_rows(ticker, market)) is not None:
            compositions[ticker], layer_mix[ticker] = _fund_mix(rows, web)
            funds.add(ticker)
            named = str(listed.at[ticker, "name"]) if ticker in listed.index else ticker
            names[ticker] = f"{named} (fund, looked through)"
        elif ticker in listed.index:
            compositions[ticker], layer_mix[ticker] = {}, {str(listed.at[ticker, "layer"]): 1.0}
            names[ticker] = str(listed.at[ticker, "name"])
            if str(listed.at[ticker, "category"]).endswith("fund"):
                funds.add(ticker)
        elif ticker in securities:  # a listed name the market data knows, outside the web (COST)
            compositions[ticker], layer_mix[ticker], names[ticker] = {}, {"other": 1.0}, ticker
            notes.append(f"{ticker} is not in the deal web: it loads on no hub.")
        else:  # nobody knows it: a typo is never bought
            notes.append(f"{ticker} (universe) is not a ticker the deal web, the bundled funds or the market data "
                         "know (a typo?): not bought. Fix: check the ticker in the universe file.")
            continue
        w0[ticker] = 0.0


def _reinvestment(constraints: Constraints, web: DealWeb, market: MarketData, listed: pd.DataFrame,
                  w0: dict[str, float], notes: list[str]) -> list[str]:
    """The funds that take sale proceeds (empty when none fits), with a note saying why.

    Rule: among universe.csv's funds listed in the account's currency (USD when it has none, with a note), one
    fund per category of :data:`REINVEST_ORDER` (a fund already held, else the first row of the file), kept
    only when it keeps every hub cap on its own (its loading on each capped hub at most the cap, so that it
    can take any amount of proceeds). Without layer bands or stress caps only the first such fund is
    offered, so the proceeds go to one broad fund; with them every category's fund is offered, since a broad
    fund alone carries AI names in every layer and may not fit the bands. A bond fund is offered only to an
    investor who holds one, or when no equity fund keeps the caps: selling AI stocks is no reason to move an
    equity portfolio into bonds. Funds without bundled holdings load on no hub.
    """
    from exposure.loadings import hub_loadings

    currency = (constraints.currency or "USD").upper()
    home = listed[listed["currency"] == currency]
    if home.empty:
        notes.append(f"universe.csv has no sourced fund listed in {currency}: the US-listed funds are offered, "
                     "which a UK or EU retail investor may not be able to buy (no PRIIPs KID). Fix: give funds "
                     "you can buy with --universe.")
        home = listed[listed["currency"] == "USD"]
    candidates = [t for category in REINVEST_ORDER for t in home.index[home["category"] == category]]
    caps = {resolve_hub(web, key, "hub_caps"): cap for key, cap in constraints.hub_caps.items()}
    loads = (hub_loadings(web, candidates, hubs=list(caps), market=market) if caps and candidates
             else pd.DataFrame(index=candidates))
    skipped: list[str] = []
    chosen: list[str] = []
    every = bool(constraints.layer_bands or constraints.stress_caps)  # one fund per category, see the docstring
    for category in REINVEST_ORDER:
        rows = list(home.index[home["category"] == category])
        held = [t for t in rows if t in w0]
        if category == "bond_fund" and chosen and not held:
            break  # equity proceeds stay in equity: bonds only for a bond holder, or when no equity fund fits
        for ticker in held[:1] or rows[:1]:
            over = [f"{hub} {loads.at[ticker, hub]:.1%} > cap {cap:.1%}" for hub, cap in caps.items()
                    if ticker in loads.index and loads.at[ticker, hub] > cap]
            if over:
                skipped.append(f"{ticker} ({', '.join(over)})")
                continue
            chosen.append(ticker)
        if chosen and not every:
            break
    if chosen:
        named = ", ".join(f"{t} ({home.at[t, 'name']}{', held' if t in w0 else ''})" for t in chosen)
        rule = ("with layer bands or stress caps, the first fund of each category (a broad fund alone carries AI "
                "names in every layer; the objective's hub term sends the proceeds to the least AI-exposed of them)"
                if every else "the first category whose fund keeps every hub cap")
        why = f"; skipped {'; '.join(skipped)}: above a cap it cannot take all the proceeds" if skipped else ""
        notes.append(f"reinvestment: sale proceeds may go to {named}: universe.csv's funds listed in "
                     f"{home['currency'].iloc[0]}, in the order broad market, ex-US, bonds (bonds only for a bond "
                     f"holder or when no equity fund fits), one fund per category (a held one first), {rule}{why}.")
        return chosen
    notes.append(f"reinvestment: no diversifier fund keeps every hub cap ({'; '.join(skipped)}): proceeds can go "
                 "only to held names. Fix: loosen the cap, allow cash with --max-cash or give --universe.")
    return []


def main_layer(mix: dict[str, float]) -> str:
    """A holding's layer for display: its largest layer, a fund's published holdings before its unpublished
    remainder (VXUS's top holdings cover a few percent, yet it is looked through)."""
    if len(mix) == 1:  # a company or a name outside the web: one layer
        return next(iter(mix))
    known = {layer: share for layer, share in mix.items() if layer != "fund, not looked through"} or mix
    return max(known, key=known.__getitem__) if known else "unmapped"


def _fund_mix(rows: pd.DataFrame, web: DealWeb) -> tuple[dict[str, float], dict[str, float]]:
    composition: dict[str, float] = {}
    layers: dict[str, float] = {}
    for held, share in zip(rows["ticker"], rows["weight"], strict=True):
        cid = web.company_for_ticker(held)
        # a published holding outside the web (a Treasury in BND) is known, layer other, as in analyze()
        layer = "other" if cid is None else str(web.companies.at[cid, "layer"])
        if cid is not None:
            composition[cid] = composition.get(cid, 0.0) + float(share)
        layers[layer] = layers.get(layer, 0.0) + float(share)
    rest = 1.0 - float(rows["weight"].sum())
    if rest > 0:
        layers["fund, not looked through"] = layers.get("fund, not looked through", 0.0) + rest
    return composition, layers

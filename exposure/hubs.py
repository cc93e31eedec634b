"""AI hubs from the web, the web's circular structures, and each company's dependence on the AI layers.

A company is an **AI hub** by its systemic importance, computed from the web alone (never from a
portfolio): its DebtRank centrality (Battiston et al. 2012), the listed market value the rest of the web
loses when it is wiped out, ``sum_i market_cap_i * x_h[i]`` with ``x_h`` its hub exposures (linear
DebtRank with h wiped out, capped at 1). It is a hub when that loss is at least :data:`HUB_THRESHOLD` of
the rest of the web's listed market value. Private companies lose no listed value but pass losses on.

**Circular structures** follow the money (payer -> payee, every deal that entered L, at its status-weighted
amount, gigawatt deals at their estimate): a two-party *loop* (A pays B and B pays A) or a multi-party
*cycle* (three or more companies). Each carries the dollars that can go all the way round (the smallest
hop, USD bn) and its gross dollars (the sum of its hops).

Pure: a :class:`~exposure.network.Sensitivity` and frames in, frames out, no I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from exposure.network import Sensitivity, leontief_solve

if TYPE_CHECKING:
    from exposure.dealweb import DealWeb
    from exposure.defaults import DefaultModel
    from exposure.models import ExposureModel

#: A company is an AI hub when wiping it out costs the rest of the web at least this fraction of its listed
#: market value (0.25%). On the bundled web it selects nine companies; the next one (Humain) costs 0.21%.
HUB_THRESHOLD = 0.0025
#: Longest cycle :func:`circular_structures` looks for, in companies.
MAX_CYCLE_LENGTH = 5
STRUCTURE_COLUMNS = ["kind", "length", "companies", "chain", "usd_bn", "gross_usd_bn", "deals"]


def systemic_importance(sensitivity: Sensitivity, companies: pd.DataFrame,
                        threshold: float = HUB_THRESHOLD) -> pd.DataFrame:
    """Every company's DebtRank centrality, largest first, and whether it is an AI hub.

    Columns: ``name, layer, loss_usd_bn`` (listed market value the rest of the web loses when the company
    is wiped out, USD bn), ``loss_share`` (that loss over the rest of the web's listed market value) and
    ``hub`` (``loss_share >= threshold``). ``companies`` is the web's company frame (``name, layer,
    market_cap_usd_bn``).
    """
    ids = sensitivity.ids

    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        mcap = companies["market_cap_usd_bn"].reindex(ids).astype(float).fillna(0.0).to_numpy()
        losses = mcap @ sensitivity.exposures(list(range(len(ids)))) if ids else np.zeros(0)
        rest = mcap.sum() - mcap
        share = np.divide(losses, rest, out=np.zeros_like(losses), where=rest > 0)
        frame = pd.DataFrame({"name": companies["name"].reindex(ids).to_numpy(),
                              "layer": companies["layer"].reindex(ids).to_numpy(),
                              "loss_usd_bn": losses, "loss_share": share, "hub": share >= threshold},
                             index=pd.Index(ids, name="company"))
        return companies, frame.sort_values(["loss_usd_bn"], ascending=False, kind="stable")

    # Kept per companies frame (a web's frame never changes); ``is`` guards against a reused id().
    key = ("importance", threshold, id(companies))
    return sensitivity._cached(key, compute, valid=lambda stored: stored[0] is companies)[1]


def ai_hubs(web: DealWeb, model: ExposureModel | None = None, threshold: float = HUB_THRESHOLD) -> list[str]:
    """Ids of the web's AI hubs (see :func:`systemic_importance`), most important first."""
    table = systemic_importance(web.sensitivity(model), web.companies, threshold)
    return list(table.index[table["hub"]])


def ai_dependence(sensitivity: Sensitivity, in_ai: np.ndarray) -> np.ndarray:
    """Per company, the fraction of its value that rides on the AI layers, in [0, 1].

    1 for a company in an AI layer (``in_ai``, aligned with ``sensitivity.ids``). For any other company,
    the loss it takes when every AI-layer company is wiped out: chains of deals through the other non-AI
    companies, ``d_R = (I - L_RR)^-1 L_RA 1``, capped at 1. ``ai_share`` adds it up over a portfolio.
    """
    mask = np.asarray(in_ai, dtype=bool)

    def compute() -> np.ndarray:
        dependence = mask.astype(float)
        rest = np.flatnonzero(~mask)
        if rest.size == 0 or mask.sum() == 0:
            return dependence
        matrix = sensitivity.L  # dense for a small web, sparse for a large one: both slice and sum alike
        sub = matrix[rest][:, rest]
        rhs = np.asarray(matrix[rest][:, np.flatnonzero(mask)].sum(axis=1)).reshape(-1, 1)
        solved = leontief_solve(sub, rhs)
        dependence[rest] = np.clip(solved[:, 0], 0.0, 1.0)
        return dependence

    return sensitivity._cached(("ai_dependence", mask.tobytes()), compute)


def circular_structures(web: DealWeb, model: ExposureModel | DefaultModel | None = None,
                        max_length: int = MAX_CYCLE_LENGTH) -> pd.DataFrame:
    """The web's two-party loops and multi-party cycles of money, largest circulating dollars first.

    Columns: ``kind`` (``loop`` for two companies, ``cycle`` for three or more), ``length``, ``companies``
    (ids, starting from the first in the web's order), ``chain`` (names, ``A -> B -> A``), ``usd_bn``
    (the smallest hop: dollars that can go all the way round), ``gross_usd_bn`` (sum of the hops) and
    ``deals`` (deal ids per hop, ``|`` between hops). Deals left out of L (undisclosed amounts) carry no
    dollars and close no structure.
    """
    sensitivity = web.sensitivity(model)
    return sensitivity._cached(("structures", max_length), lambda: _structures(web, sensitivity, max_length))


def _structures(web: DealWeb, sensitivity: Sensitivity, max_length: int) -> pd.DataFrame:
    counted = sensitivity.contributions.drop_duplicates("deal_id").set_index("deal_id")["amount_usd_bn"]
    deals = web.deals[web.deals["id"].isin(counted.index)]
    flows: dict[tuple[str, str], float] = {}
    labels: dict[tuple[str, str], list[str]] = {}
    for deal, payer, payee in zip(deals["id"], deals["payer"], deals["payee"], strict=True):
        flows[(payer, payee)] = flows.get((payer, payee), 0.0) + float(counted[deal])
        labels.setdefault((payer, payee), []).append(deal)
    order = sensitivity.index
    successors: dict[str, list[str]] = {}
    for payer, payee in flows:
        successors.setdefault(payer, []).append(payee)
    rows: list[dict[str, object]] = []
    names = web.name_of
    for start in sorted(successors, key=order.__getitem__):
        # Johnson-style enumeration: each cycle is found once, from its first company in the web's order.
        stack: list[tuple[str, tuple[str, ...]]] = [(start, (start,))]
        while stack:
            node, path = stack.pop()
            for nxt in successors.get(node, []):
                if nxt == start and len(path) >= 2:
                    hops = list(zip(path, path[1:] + (start,), strict=True))
                    amounts = [flows[hop] for hop in hops]
                    rows.append({"kind": "loop" if len(path) == 2 else "cycle", "length": len(path),
                                 "companies": list(path),
                                 "chain": " -> ".join(names[c] for c in (*path, start)),
                                 "usd_bn": min(amounts), "gross_usd_bn": sum(amounts),
                                 "deals": " | ".join(", ".join(labels[hop]) for hop in hops)})
                elif order[nxt] > order[start] and nxt not in path and len(path) < max_length:
                    stack.append((nxt, (*path, nxt)))
    frame = pd.DataFrame(rows, columns=STRUCTURE_COLUMNS)
    frame = frame.sort_values(["usd_bn", "gross_usd_bn"], ascending=False, kind="stable").reset_index(drop=True)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="structure")
    return frame


def participation(structures: pd.DataFrame) -> pd.DataFrame:
    """Per company: ``loops``, ``cycles`` (how many structures it is part of) and ``circular_usd_bn`` (the
    circulating dollars of all of them): the analogue of a Loop/Cycle/Hub score, weighted by dollars."""
    rows: dict[str, dict[str, float]] = {}
    for kind, companies, usd in zip(structures["kind"], structures["companies"], structures["usd_bn"],
                                    strict=True):
        for cid in companies:
            row = rows.setdefault(cid, {"loops": 0, "cycles": 0, "circular_usd_bn": 0.0})
            row["loops" if kind == "loop" else "cycles"] += 1
            row["circular_usd_bn"] += usd
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["loops", "cycles", "circular_usd_bn"])
    frame.index.name = "company"
    return frame.astype({"loops": int, "cycles": int}).sort_values("circular_usd_bn", ascending=False)


def portfolio_structures(structures: pd.DataFrame, weights: dict[str, float]) -> pd.DataFrame:
    """The structures a portfolio's exposure runs through: those with a held company (look-through
    ``weights`` by company id), with ``held`` (the held members) and ``held_weight`` (their weight)."""
    held_names = [[c for c in companies if weights.get(c, 0.0) > 0] for companies in structures["companies"]]
    frame = structures.assign(held=[", ".join(h) for h in held_names],
                              held_weight=[sum(weights[c] for c in h) for h in held_names])
    return frame[frame["held_weight"] > 0]

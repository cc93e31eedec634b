"""Recall of the bundled deal web against independent published lists of AI-infrastructure deals.

Each file in ``exposure/data/recall/`` transcribes one public list as its source states it (see the README
there). An item counts as present when a bundled deal joins the same two companies (either direction; names
resolved through the web's names, tickers and aliases), its type fits the item's kind, and its announcement
month is within 6 months of the item's date (a bare year counts as all its months). A list's Stargate item between two of the venture's members
(SoftBank-OpenAI, MGX-OpenAI) is present when both put money into the ``stargate`` company, which is how the
web records the joint venture. Items marked ``scope: out`` in their notes (before 2023, below
$1bn, or a product partnership with no money flow) are listed but not counted. Misses are printed.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from exposure.dealweb import DealWeb
from exposure.errors import DealWebError

RECALL = Path(__file__).resolve().parents[1] / "exposure" / "data" / "recall"
LISTS = sorted(path.stem for path in RECALL.glob("*.csv"))
TARGET = 0.85
DATE_TOLERANCE_MONTHS = 6

#: The deal types that can stand for each kind a list uses; a kind not named here fits any type.
#: Warrants, loans and guarantees are type ``other`` in the web, so ``other`` fits money and hardware kinds.
KIND_TYPES: dict[str, set[str]] = {
    "investment": {"equity_investment", "other"},
    "acquisition": {"equity_investment", "licensing_partnership"},
    "cloud_commitment": {"cloud_compute_contract", "data_center_project"},
    "cloud": {"cloud_compute_contract", "data_center_project"},
    "services": {"cloud_compute_contract", "data_center_project"},
    "supply": {"chip_supply", "custom_chip_partnership", "other"},
    "hardware": {"chip_supply", "custom_chip_partnership", "other"},
}


@cache
def web() -> DealWeb:
    return DealWeb.bundled()


def month_span(when: str) -> tuple[int, int]:
    """First and last month (months since year 0) that YYYY, YYYY-MM or YYYY-MM-DD covers: a bare year is all 12."""
    parts = str(when).split("-")
    first = int(parts[0]) * 12 + (int(parts[1]) - 1 if len(parts) > 1 else 0)
    return first, first + (0 if len(parts) > 1 else 11)


def months_apart(deal_month: str, item_date: str) -> int:
    """Months between a deal's announcement month and the nearest month an item's date covers."""
    month = month_span(deal_month)[0]
    first, last = month_span(item_date)
    return max(0, first - month, month - last)


def resolve(name: str) -> str | None:
    try:
        return web().resolve(name)
    except DealWebError:
        return None


def matches(item: pd.Series) -> list[str]:
    """Ids of bundled deals that stand for ``item`` (same pair, fitting type, date within tolerance)."""
    a, b = resolve(item["party_a"]), resolve(item["party_b"])
    if a is None or b is None:
        return []
    deals = web().deals
    pair = ((deals["payer"] == a) & (deals["payee"] == b)) | ((deals["payer"] == b) & (deals["payee"] == a))
    found = deals[pair]
    allowed = KIND_TYPES.get(str(item["kind"]))
    if allowed is not None:
        found = found[found["type"].isin(allowed)]
    if isinstance(item["date"], str) and item["date"]:
        gap = found["announced"].astype(str).map(lambda when: months_apart(when, item["date"]))
        found = found[gap <= DATE_TOLERANCE_MONTHS]
    ids = found["id"].astype(str).tolist()
    if "stargate" in f"{item['item']} {item.get('notes', '')}".lower():
        legs = deals[(deals["payee"] == "stargate") & deals["payer"].isin([a, b])]
        if {a, b} <= set(legs["payer"]):
            ids += legs["id"].astype(str).tolist()
    return ids


def read_list(name: str) -> pd.DataFrame:
    frame = pd.read_csv(RECALL / f"{name}.csv", dtype=str, keep_default_na=False)
    return frame[~frame["notes"].str.startswith("scope: out")]


def recall(name: str) -> tuple[float, list[str]]:
    """Share of a list's in-scope items present in the web, and a line per miss."""
    items = read_list(name)
    misses = [f"{row['item']}: {row['party_a']} / {row['party_b']} ({row['kind']}, {row['date']})"
              for _, row in items.iterrows() if not matches(row)]
    return 1 - len(misses) / len(items), misses


def test_every_list_is_transcribed_with_sources():
    assert len(LISTS) >= 2
    for name in LISTS:
        frame = pd.read_csv(RECALL / f"{name}.csv", dtype=str, keep_default_na=False)
        assert list(frame.columns) == ["item", "party_a", "party_b", "kind", "amount_usd_bn", "date",
                                       "source_url", "notes"]
        assert frame["source_url"].str.startswith("http").all(), name
        assert len(read_list(name)) > 0, name


def test_every_list_is_documented_with_its_entry_counts():
    # The README's table gives each file's source and its entries as "total (in scope)", counted by hand when
    # the list was transcribed; a file edited without updating its row fails here.
    readme = (RECALL / "README.md").read_text()
    for name in LISTS:
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{name}.csv` |")), None)
        assert row is not None, f"{name}.csv has no row in recall/README.md"
        total = len(pd.read_csv(RECALL / f"{name}.csv", dtype=str, keep_default_na=False))
        assert row.rstrip().endswith(f"| {total} ({len(read_list(name))}) |"), row


def test_matching_needs_the_right_counterparties():
    # OpenAI's $38bn AWS contract (2025-11) is bundled as D021; Oracle is not its counterparty, and a
    # date three years off or a kind the deal is not (an equity stake) does not match either.
    item = {"item": "x", "party_a": "OpenAI", "party_b": "AWS", "kind": "cloud_commitment", "date": "2025-11-03"}
    assert "D021" in matches(pd.Series(item))
    assert "D021" not in matches(pd.Series({**item, "party_b": "Oracle"}))
    assert "D021" not in matches(pd.Series({**item, "date": "2022-11"}))
    assert "D021" not in matches(pd.Series({**item, "kind": "investment"}))
    assert matches(pd.Series({**item, "party_b": "Nobody Inc"})) == []


@pytest.mark.parametrize("name", LISTS)
def test_recall_against_independent_list(name):
    share, misses = recall(name)
    print(f"{name}: recall {share:.0%} of {len(read_list(name))} in-scope items; misses:", *misses, sep="\n  ")
    assert share >= TARGET, f"{name}: recall {share:.0%} < {TARGET:.0%}; misses: {misses}"

"""Deal statuses that end a deal (lapsed, terminated) and the provenance columns (source_kind, checked)."""

from __future__ import annotations

import io

import pytest
from conftest import SMALL_COMPANIES, SMALL_DEALS

from exposure.dealweb import DealWeb
from exposure.errors import DealWebError
from exposure.models import ExposureModel

# D8 is a lapsed lab -> cloud contract of 50 over 5 years (10 a year). Under the default model it counts 0, so
# L[cloud, lab] stays at the small web's 20 / (30 + 20) = 0.4 (tests/test_network.py); counted at full weight it
# adds 10 a year to both the numerator and F_cloud: (20 + 10) / (30 + 20 + 10) = 0.5.
LAPSED = "D8,lab,cloud,cloud_compute_contract,50,5,2025-06,lapsed,https://example.org/d8,LOI never signed,,\n"
TERMINATED = "D9,chip,cloud,equity_investment,9,,2025-07,terminated,https://example.org/d9,vote failed,,\n"


def web(extra: str = LAPSED + TERMINATED) -> DealWeb:
    return DealWeb.from_csv(io.StringIO(SMALL_COMPANIES), io.StringIO(SMALL_DEALS + extra))


def test_lapsed_and_terminated_deals_count_zero_but_stay_listed():
    w = web()
    assert {"D8", "D9"} <= set(w.deals["id"])
    s = w.sensitivity()
    L = s.dense()
    assert L[s.index["cloud"], s.index["lab"]] == pytest.approx(0.4)
    # D9 would give chip a value-channel stake in cloud (9 / 1000) and cloud a funding channel; neither is there.
    assert L[s.index["chip"], s.index["cloud"]] == pytest.approx(7.5 / 74.5)
    assert L[s.index["cloud"], s.index["chip"]] == 0
    assert not s.contributions["deal_id"].isin(["D8", "D9"]).any()
    reasons = dict(zip(s.coverage["deal_id"], s.coverage["reason"], strict=True))
    assert reasons["D8"] == reasons["D9"] == "status weight is 0"


def test_status_weights_can_count_a_lapsed_deal_and_keep_defaults_for_the_rest():
    s = web(LAPSED).sensitivity(ExposureModel(status_weights={"lapsed": 1.0}))
    assert s.dense()[s.index["cloud"], s.index["lab"]] == pytest.approx(0.5)
    # A mapping without the new statuses (written before they existed) leaves them at 0.
    model = ExposureModel(status_weights={"completed": 1, "announced": 1, "reported": 1, "rumored": 0.5})
    assert model.status_weights["lapsed"] == model.status_weights["terminated"] == 0
    assert model.status_weights["reported"] == 1


def test_provenance_columns_are_optional_and_validated():
    plain = web("")
    assert {"source_kind", "source_url_2", "checked"} <= set(plain.deals.columns)
    assert plain.deals["checked"].isna().all()
    header = SMALL_DEALS.splitlines()[0] + ",source_kind,source_url_2,checked\n"
    good = header + "X1,lab,cloud,chip_supply,1,,2025-01,announced,https://e.org,,,,filing,https://f.org,2026-11-28\n"
    row = DealWeb.from_csv(io.StringIO(SMALL_COMPANIES), io.StringIO(good)).deals.iloc[0]
    assert (row["source_kind"], row["source_url_2"], row["checked"]) == ("filing", "https://f.org", "2026-11-28")
    for cells, pattern in [("blog,,2026-11-28", r"row 2, column 'source_kind'.*aggregator"),
                           ("news,,28/11/2026", r"row 2, column 'checked'.*YYYY-MM-DD"),
                           ("news,,2026-02-30", r"row 2, column 'checked': '2026-02-30' is not a calendar date")]:
        bad = header + f"X1,lab,cloud,chip_supply,1,,2025-01,announced,https://e.org,,,,{cells}\n"
        with pytest.raises(DealWebError, match=pattern):
            DealWeb.from_csv(io.StringIO(SMALL_COMPANIES), io.StringIO(bad))


def test_bundled_lapsed_letter_of_intent_is_listed_but_not_in_the_matrix():
    bundled = DealWeb.bundled()
    deals = bundled.deals.set_index("id")
    assert deals.at["D015", "status"] == "lapsed" and deals.at["D015", "amount_usd_bn"] == 100
    s = bundled.sensitivity()
    assert not s.contributions["deal_id"].isin(["D015", "D016", "D143"]).any()
    assert {"D015", "D016", "D143"} <= set(s.coverage["deal_id"])

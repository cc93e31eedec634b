"""Funds added or refreshed in issue 16's fund pass: each is the issuer's dated file, looked through as stored.

Every expected value below was read in the issuer file named in the row's ``source_url`` (percent / 100), or
worked out by hand from that file's market value and the fund's net assets printed beside it.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd
import pytest

import exposure as ex

DATA = resources.files("exposure") / "data"


def read(name: str) -> pd.DataFrame:
    with (DATA / name).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def holdings() -> pd.DataFrame:
    return read("fund_holdings.csv")


# fund -> (as_of, ticker, weight as a fraction, what the issuer file prints)
ISSUER_FIGURES = {
    "ARKQ": ("2026-10-02", "TSLA", 0.1051, "ARK's ARKQ CSV: TESLA INC 10.51 %"),
    "SOXQ": ("2026-05-31", "MU", 285_728_402 / 2_429_681_508.21, "N-PORT: MU $285,728,402 of $2,429.68M net assets"),
    "XLC": ("2026-10-01", "META", 0.22415767, "SSGA XLC file: META 22.415767 %"),
    "XLY": ("2026-10-01", "AMZN", 0.23328657, "SSGA XLY file: AMAZON.COM INC 23.328657 %"),
    "CIBR": ("2026-10-01", "CRWD", 0.0887, "First Trust CIBR page: CrowdStrike 8.87 %"),
    "WTAI": ("2026-06-30", "MU", 0.05226707353932, "N-PORT: MICRON TECHNOLOGY INC 5.226707353932 %"),
    "SCHD": ("2026-09-24", "QCOM", 5_184_910_469.28 / 108_983_095_721.38,
             "Schwab SCHD file: QUALCOMM $5,184,910,469.28 of $108.98bn total net assets (4.757536 %)"),
    "VIG": ("2026-08-31", "MSFT", 0.0467, "Vanguard VIG holdings: Microsoft 4.67 %"),
    "VEA": ("2026-08-31", "005930.KS", 0.026, "Vanguard VEA holdings: 005930 Samsung Electronics 2.60 %"),
    "VGT": ("2026-08-31", "NVDA", 0.1773, "Vanguard VGT holdings: NVIDIA 17.73 %"),
    "QQQ": ("2026-03-31", "NVDA", 32_338_337_302.40 / 372_507_306_132.08,
            "N-PORT 0001067839-26-000024: NVDA $32,338,337,302.40 of $372,507,306,132.08"),
    "QQQM": ("2026-05-31", "NVDA", 7_898_764_080.06 / 97_151_481_157,
             "N-PORT 0001378872-26-001400: NVDA $7,898,764,080.06 of $97,151,481,157"),
}


@pytest.mark.parametrize("fund", sorted(ISSUER_FIGURES))
def test_a_funds_rows_carry_the_issuer_files_date_and_weight(holdings, fund):
    as_of, ticker, weight, _printed = ISSUER_FIGURES[fund]
    rows = holdings[holdings["fund"] == fund]
    assert set(rows["as_of"]) == {as_of}
    assert rows["source_url"].str.startswith("https://github.com/daggerok/").all()
    stored = float(rows.loc[rows["ticker"] == ticker, "weight"].item())
    assert stored == pytest.approx(weight, abs=5e-7)  # stored rounded to 6 decimals
    # Only the listed rows are stored: the rest of the fund stays "other", so a fund never sums above 1.
    assert rows["weight"].astype(float).sum() <= 1.0


def test_alphabet_keeps_its_two_share_classes_by_cusip(holdings):
    """Invesco's N-PORT labels CUSIP 02079K107 (class C) 'GOOGL' too; stored under GOOG, as the CUSIP says."""
    qqq = holdings[holdings["fund"] == "QQQ"].set_index("ticker")["weight"].astype(float)
    assert qqq["GOOGL"] == pytest.approx(0.034295) and qqq["GOOG"] == pytest.approx(0.031955)


def test_an_xlc_holder_is_looked_through_to_meta_and_alphabet():
    """All in XLC: Meta through XLC is 22.4158 % and Alphabet 11.5575 % + 9.2702 % (SSGA file of 2026-10-01)."""
    report = ex.analyze(ex.Portfolio.from_weights({"XLC": 1.0}))
    via = report.holdings[report.holdings["via"] == "XLC"].set_index("ticker")["weight"]
    assert via["META"] == pytest.approx(0.224158, rel=1e-9)
    assert via["GOOGL"] + via["GOOG"] == pytest.approx(0.115575 + 0.092702, rel=1e-9)
    assert "XLC" not in report.coverage["unmapped_tickers"]


def test_added_funds_have_a_dated_price_from_the_same_feed():
    prices = read("prices.csv").set_index("ticker")
    expected = {"ARKQ": ("121.43", "2026-10-01"), "XLC": ("109.94", "2026-10-01"), "XLY": ("108.81", "2026-10-01"),
                "CIBR": ("104.70", "2026-10-02"), "SCHD": ("33.10", "2026-09-24"), "WTAI": ("40.06", "2026-09-15")}
    for ticker, (price, as_of) in expected.items():
        assert (prices.at[ticker, "price"], prices.at[ticker, "as_of"]) == (price, as_of)
        assert prices.at[ticker, "currency"] == "USD"

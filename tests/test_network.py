"""The sensitivity matrix and the network solve, against numbers worked out by hand and published examples."""

from __future__ import annotations

import numpy as np
import pytest

from exposure.models import ExposureModel
from exposure.network import hub_exposures, spectral_radius

# Hand computation for the web of conftest.SMALL_COMPANIES / SMALL_DEALS (default ExposureModel):
# revenue channel (payee depends on payer, annual / (revenue + annual received)):
#   D1 lab->cloud 100 over 5 y = 20/y; F_cloud = 30 + 20 = 50          -> L[cloud, lab] = 20/50 = 0.4
#   D2 cloud->chip 40 over 4 y, reported (x0.75) = 7.5/y
#   D5 lab->chip 1 GW x 35 $bn/GW (semiconductor) over 5 y = 7/y (estimate)
#   F_chip = 60 + 7.5 + 7 = 74.5  -> L[chip, cloud] = 7.5/74.5, L[chip, lab] += 7/74.5
# value channel (investor depends on investee, amount / investor's market cap):
#   D3 chip->lab 20 / 1000 = 0.02 -> L[chip, lab] += 0.02;  D4 inv is private: left out
# funding channel (investee depends on investor, phi * amount / (equity received + revenue)):
#   lab received 20 + 10 = 30 equity, revenue 10 -> 40: L[lab, chip] = 0.5*20/40 = 0.25, L[lab, inv] = 0.125
# D6 (type other) and D7 (amount undisclosed) are left out.
L_CLOUD_LAB = 0.4
L_CHIP_CLOUD = 7.5 / 74.5
L_CHIP_LAB = 7 / 74.5 + 0.02
L_LAB_CHIP = 0.25
L_LAB_INV = 0.125


def test_sensitivity_matrix_by_hand(small_web):
    s = small_web.sensitivity()
    i = s.index
    L = s.dense()
    expected = np.zeros((4, 4))
    expected[i["cloud"], i["lab"]] = L_CLOUD_LAB
    expected[i["chip"], i["cloud"]] = L_CHIP_CLOUD
    expected[i["chip"], i["lab"]] = L_CHIP_LAB
    expected[i["lab"], i["chip"]] = L_LAB_CHIP
    expected[i["lab"], i["inv"]] = L_LAB_INV
    np.testing.assert_allclose(L, expected, atol=1e-12)


def test_coverage_lists_deals_left_out(small_web):
    s = small_web.sensitivity()
    reasons = dict(zip(s.coverage["deal_id"] + "/" + s.coverage["channel"], s.coverage["reason"], strict=True))
    assert "other" in reasons["D6/all"]
    assert reasons["D7/all"] == "amount undisclosed"
    assert "private" in reasons["D4/value"]
    estimates = set(s.contributions.loc[s.contributions["estimate"], "deal_id"])
    assert estimates == {"D5"}


def test_model_switches(small_web):
    # Without estimates D5 drops out: F_chip = 60 + 7.5, L[chip, lab] = 0.02 only.
    s = small_web.sensitivity(ExposureModel(use_estimates=False))
    assert s.dense()[s.index["chip"], s.index["lab"]] == pytest.approx(0.02)
    assert s.dense()[s.index["chip"], s.index["cloud"]] == pytest.approx(7.5 / 67.5)
    # Reported deals at full weight: D2 = 10/y, F_chip = 60 + 10 + 7.
    s = small_web.sensitivity(ExposureModel(status_weights={"completed": 1, "announced": 1, "reported": 1,
                                                            "rumored": 0.5}))
    assert s.dense()[s.index["chip"], s.index["cloud"]] == pytest.approx(10 / 77)
    # No funding channel with phi = 0; kappa scales the revenue channel.
    s = small_web.sensitivity(ExposureModel(phi=0.0, kappa=0.5))
    assert s.dense()[s.index["lab"]].sum() == 0
    assert s.dense()[s.index["cloud"], s.index["lab"]] == pytest.approx(0.2)


def test_hub_exposure_by_hand(small_web):
    s = small_web.sensitivity()
    i = s.index
    x = hub_exposures(s.matrix, [i["lab"], i["chip"], i["cloud"]])
    # Hub lab (absorbing): cloud = 0.4; chip = L[chip,cloud]*0.4 + L[chip,lab].
    assert x[i["cloud"], 0] == pytest.approx(0.4)
    assert x[i["chip"], 0] == pytest.approx(L_CHIP_CLOUD * 0.4 + L_CHIP_LAB)
    assert x[i["lab"], 0] == 0
    # Hub chip: lab = 0.25 (inv has no exposure); cloud depends on lab: 0.4 * 0.25 = 0.1.
    assert x[i["lab"], 1] == pytest.approx(0.25)
    assert x[i["cloud"], 1] == pytest.approx(0.1)
    # Hub cloud, through a cycle chip <-> lab: x_chip = L[chip,cloud] + L[chip,lab] x_lab, x_lab = 0.25 x_chip.
    x_chip = L_CHIP_CLOUD / (1 - L_CHIP_LAB * L_LAB_CHIP)
    assert x[i["chip"], 2] == pytest.approx(x_chip)
    assert x[i["lab"], 2] == pytest.approx(0.25 * x_chip)


def test_methods_cycle_example():
    # METHODS 1.5: order HUB, CLOUD, CHIP; a=0.30, b=0.05, c=0.01, d=0.20.
    L = np.array([[0, 0, 0.20], [0.30, 0, 0], [0.01, 0.05, 0]])
    leontief = np.linalg.inv(np.eye(3) - L)[:, 0]
    np.testing.assert_allclose(leontief, [200 / 199, 60 / 199, 5 / 199], atol=1e-12)
    # With the hub absorbing, its own feedback is cut: x = T[:,h]/T[h,h] - e_h = (0, 0.3, 0.025).
    np.testing.assert_allclose(hub_exposures(L, [0])[:, 0], [0, 0.30, 0.025], atol=1e-12)
    assert spectral_radius(L) == pytest.approx(0.14885, abs=1e-5)


def test_miller_blair_two_sector():
    # Miller & Blair (2009) ch. 2: A = [[.15,.25],[.20,.05]], L = (1/303)[[380,100],[80,340]].
    A = np.array([[0.15, 0.25], [0.20, 0.05]])
    leontief = np.linalg.inv(np.eye(2) - A)
    np.testing.assert_allclose(leontief, np.array([[380, 100], [80, 340]]) / 303, atol=1e-12)
    np.testing.assert_allclose(leontief @ [350, 1700], [1000, 2000])
    # Absorbing hub 0: x_1 = 0.2 / (1 - 0.05) = T[1,0]/T[0,0] = 80/380.
    assert hub_exposures(A, [0])[1, 0] == pytest.approx(80 / 380)
    assert hub_exposures(A, [1])[0, 0] == pytest.approx(100 / 340)


def test_sparse_path_matches_dense(monkeypatch):
    import scipy.sparse as sp

    import exposure.network as network

    rng = np.random.default_rng(7)
    dense = rng.random((30, 30)) * (rng.random((30, 30)) < 0.2)
    np.fill_diagonal(dense, 0)
    dense = dense / (dense.sum(axis=1, keepdims=True) + 1) * 0.9
    expected = hub_exposures(dense, [0, 3, 7])
    monkeypatch.setattr(network, "DENSE_LIMIT", 5)
    np.testing.assert_allclose(hub_exposures(sp.csr_matrix(dense), [0, 3, 7]), expected, atol=1e-12)
    for k, h in enumerate([0, 3, 7]):
        Lh = dense.copy()
        Lh[h] = 0
        direct = np.linalg.solve(np.eye(30) - Lh, dense[:, h])
        np.testing.assert_allclose(expected[:, k], np.clip(direct, 0, 1), atol=1e-12)


@pytest.mark.parametrize("deal_type, years", [
    ("cloud_compute_contract", 5), ("chip_supply", 4), ("custom_chip_partnership", 4),
    ("data_center_project", 10), ("licensing_partnership", 3),
])
def test_every_contract_type_is_revenue_for_the_payee(deal_type, years):
    # One $12bn contract of undisclosed term from A to B (revenue 20): spread over the type's default term,
    # annual a = 12 / years, and B depends on A by a / (20 + a). The payer gets nothing (theta = 0).
    import io

    from exposure.dealweb import DealWeb

    companies = io.StringIO("id,name,ticker,layer,revenue_usd_bn,market_cap_usd_bn,as_of,source_url,notes\n"
                            "a,A,AAA,model_lab,50,500,2026-01-01,https://e.org,\n"
                            "b,B,BBB,neocloud,20,100,2026-01-01,https://e.org,\n")
    deals = io.StringIO("id,payer,payee,type,amount_usd_bn,duration_years,announced,status,source_url,notes\n"
                        f"X,a,b,{deal_type},12,,2025-01,completed,https://e.org,\n")
    s = DealWeb.from_csv(companies, deals).sensitivity()
    annual = 12 / years
    expected = np.array([[0, 0], [annual / (20 + annual), 0]])
    np.testing.assert_allclose(s.dense(), expected, atol=1e-12)
    assert bool(s.contributions["assumed_duration"].iloc[0])


def test_hhi_published_example():
    # DOJ/FTC guideline wording: shares of 30, 30, 20 and 20 percent give an HHI of 2,600 (0.26 in fractions).
    from exposure.metrics import effective_number, grade, hhi, score

    assert hhi(np.array([30, 30, 20, 20])) == pytest.approx(0.26)
    assert effective_number(np.array([0.3, 0.3, 0.2, 0.2])) == pytest.approx(1 / 0.26)
    assert hhi(np.zeros(3)) == 0 and effective_number(np.zeros(3)) == 0
    assert [grade(score(x)) for x in (0.05, 0.10, 0.3, 0.5)] == ["low", "moderate", "high", "extreme"]

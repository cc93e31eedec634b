"""Large webs: the sparse hub solve equals the dense one and direct solves; synthetic webs are stable."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import exposure.network as network
from exposure.dealweb import DealWeb
from exposure.network import build_sensitivity, hub_exposures, spectral_radius
from exposure.synthetic import synthetic_web

# METHODS 1.5: HUB (OpenAI-like), CLOUD (Oracle-like), CHIP (Nvidia-like); L[i, j] = loss of i per unit loss of j.
TINY = np.array([[0.0, 0.0, 0.20],
                 [0.30, 0.0, 0.0],
                 [0.01, 0.05, 0.0]])


@pytest.fixture(scope="module")
def web_1000() -> sp.csr_matrix:
    companies, deals = synthetic_web(1000, 8000, seed=1)
    return build_sensitivity(companies.set_index("id"), deals).matrix


def _top_hubs(L: sp.csr_matrix, count: int) -> np.ndarray:
    dependents = np.asarray((L != 0).sum(axis=0)).ravel()
    return np.argsort(-dependents, kind="stable")[:count]


def test_sparse_path_equals_dense_path(web_1000: sp.csr_matrix, monkeypatch: pytest.MonkeyPatch) -> None:
    assert web_1000.shape[0] > network.DENSE_LIMIT  # so the default path is the sparse one
    hubs = _top_hubs(web_1000, 20)
    sparse = hub_exposures(web_1000, hubs)
    rho_sparse = spectral_radius(web_1000)
    monkeypatch.setattr(network, "DENSE_LIMIT", 10_000)
    dense = hub_exposures(web_1000, hubs)
    np.testing.assert_allclose(sparse, dense, rtol=0, atol=1e-12)
    assert rho_sparse == pytest.approx(spectral_radius(web_1000), rel=1e-6)
    assert sparse.max() > 0.01  # the hubs really have dependents


def test_hub_exposures_equal_direct_solves(web_1000: sp.csr_matrix) -> None:
    hubs = _top_hubs(web_1000, 5)
    x = hub_exposures(web_1000, hubs)
    L = web_1000.toarray()
    for k, h in enumerate(hubs):
        L_h = L.copy()
        L_h[h, :] = 0.0
        direct = np.linalg.solve(np.eye(len(L)) - L_h, L[:, h])
        np.testing.assert_allclose(x[:, k], np.clip(direct, 0.0, 1.0), rtol=0, atol=1e-12)


@pytest.mark.parametrize("dense_limit", [800, 0])  # the dense and the sparse (Neumann series) solve
def test_tiny_cycle_by_hand_and_katz(dense_limit: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network, "DENSE_LIMIT", dense_limit)
    x = hub_exposures(sp.csr_matrix(TINY), [0, 2])
    # Hub HUB absorbs: CLOUD = a = 0.30, CHIP = c + b * a = 0.01 + 0.05 * 0.30 = 0.025.
    np.testing.assert_allclose(x[:, 0], [0.0, 0.30, 0.025], atol=1e-14)
    # Hub CHIP absorbs: HUB = d = 0.20, CLOUD = a * d = 0.06.
    np.testing.assert_allclose(x[:, 1], [0.20, 0.06, 0.0], atol=1e-14)
    # Leontief is Katz with alpha = 1: x = L_h x + L[:, h], edges j -> i weighted L_h[i, j], beta = L[:, h].
    for k, h in enumerate([0, 2]):
        graph = nx.DiGraph()
        graph.add_nodes_from(range(3))
        for i, j in zip(*np.nonzero(TINY), strict=True):
            if i != h:
                graph.add_edge(int(j), int(i), weight=float(TINY[i, j]))
        katz = nx.katz_centrality(graph, alpha=1.0, beta={i: float(TINY[i, h]) for i in range(3)},
                                  normalized=False, weight="weight", tol=1e-14, max_iter=10_000)
        np.testing.assert_allclose([katz[i] for i in range(3)], x[:, k], atol=1e-12)


def test_synthetic_web_is_stable_power_law_and_deterministic() -> None:
    companies, deals = synthetic_web(2000, 20_000, seed=3)
    again, same = synthetic_web(2000, 20_000, seed=3)
    assert companies.equals(again) and deals.equals(same)
    assert (deals["payer"] != deals["payee"]).all()
    degree = deals["payee"].value_counts()
    assert degree.max() > 20 * degree.mean()  # a few hubs carry many deals
    L = build_sensitivity(companies.set_index("id"), deals).matrix
    assert 0 < spectral_radius(L) < 1


def test_synthetic_web_loads_in_the_bundled_format(tmp_path: Path) -> None:
    companies, deals = synthetic_web(60, 300, seed=4)
    companies.to_csv(tmp_path / "companies.csv", index=False)
    deals.to_csv(tmp_path / "deals.csv", index=False)
    web = DealWeb.from_csv(tmp_path / "companies.csv", tmp_path / "deals.csv")  # validated row by row
    assert len(web.companies) == 60 and len(web.deals) == 300
    assert web.sensitivity().matrix.nnz > 0


def test_ten_thousand_companies_run_sparse() -> None:
    companies, deals = synthetic_web(10_000, 100_000, seed=0)
    L = build_sensitivity(companies.set_index("id"), deals).matrix
    assert sp.issparse(L) and L.shape == (10_000, 10_000)
    assert spectral_radius(L) < 1
    x = hub_exposures(L, _top_hubs(L, 10))
    assert x.shape == (10_000, 10) and np.isfinite(x).all() and x.max() > 0

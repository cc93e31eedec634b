"""The pure stress engine against hand-worked cases, published examples and exact identities."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from exposure.contagion import (
    creditor_shortfall,
    eisenberg_noe,
    first_round,
    linear_debtrank,
    nonlinear_debtrank,
    original_debtrank,
    split_rounds,
)
from exposure.errors import ScenarioError

# METHODS 1.5: order HUB (OpenAI-like), CLOUD (Oracle-like), CHIP (Nvidia-like); row = affected.
# L[CLOUD, HUB] = a = 0.30, L[CHIP, CLOUD] = b = 0.05, L[CHIP, HUB] = c = 0.01, L[HUB, CHIP] = d = 0.20
CYCLE = np.array([
    [0.00, 0.00, 0.20],
    [0.30, 0.00, 0.00],
    [0.01, 0.05, 0.00],
])
HUB_SHOCK = np.array([1.0, 0.0, 0.0])


def random_web(n: int, density: float, row_sum: float, seed: int) -> np.ndarray:
    """A dense random non-negative L with every row sum equal to ``row_sum`` (< 1, so rho < 1)."""
    rng = np.random.default_rng(seed)
    L = rng.random((n, n)) * (rng.random((n, n)) < density)
    np.fill_diagonal(L, 0.0)
    sums = L.sum(axis=1, keepdims=True)
    return np.divide(L, sums, out=np.zeros_like(L), where=sums > 0) * row_sum


# --------------------------------------------------------------------------------------------------
# linear DebtRank
# --------------------------------------------------------------------------------------------------

def test_linear_debtrank_methods_cycle_with_cap():
    # h(1) = (1, 0, 0)
    # h(2) = min(1, h(1) + L h(1)) = (1, 0.30, 0.01)              increment (0, 0.30, 0.01)
    # h(3) = h(2) + L (0, .30, .01) = (1 + .2*.01 -> cap 1, 0.30, 0.01 + .05*.30 = 0.025)
    #        actual increment (0, 0, 0.015)
    # h(4) = (1 + .2*.015 -> cap 1, 0.30, 0.025)                  increment 0: fixed point
    h = linear_debtrank(CYCLE, HUB_SHOCK)
    np.testing.assert_allclose(h, [1.0, 0.30, 0.025], atol=1e-15)


def test_linear_debtrank_equals_leontief_column_without_saturation():
    # Uncapped: h = (I - L)^-1 e_HUB = (200/199, 60/199, 5/199) (METHODS 1.5; loop gain d(ab + c) = 0.005).
    # A shock of 0.1 keeps the HUB at 0.1 * 200/199 = 0.1005 < 1: nothing saturates, so the scaled column.
    column = np.array([200, 60, 5]) / 199
    np.testing.assert_allclose(np.linalg.solve(np.eye(3) - CYCLE, HUB_SHOCK), column, rtol=1e-14)
    np.testing.assert_allclose(linear_debtrank(CYCLE, 0.1 * HUB_SHOCK), 0.1 * column, atol=1e-12)


def test_linear_debtrank_chain():
    # A -> B -> C with L[B, A] = 0.5, L[C, B] = 0.4; A loses 0.5:
    # B = 0.5 * 0.5 = 0.25, C = 0.4 * 0.25 = 0.10
    L = np.zeros((3, 3))
    L[1, 0], L[2, 1] = 0.5, 0.4
    np.testing.assert_allclose(linear_debtrank(L, np.array([0.5, 0, 0])), [0.5, 0.25, 0.10], atol=1e-15)


def test_linear_debtrank_two_cycle_saturates_exactly():
    # L[A, B] = L[B, A] = 0.8, A loses 0.5. Uncapped (I - L)^-1 h0 = (0.5, 0.4)/0.36 = (1.39, 1.11).
    # Capped dynamics, increments ping-pong:
    # h2 = (0.5, 0.4)  h3 = (0.5 + .8*.4 = 0.82, 0.4)  h4 = (0.82, 0.4 + .8*.32 = 0.656)
    # h5 = (0.82 + .8*.256 = 1.0248 -> 1, 0.656), A's actual increment 0.18
    # h6 = (1, 0.656 + .8*.18 = 0.8)  h7 = (1 + .8*.144 -> 1, 0.8): A is wiped out, B loses 0.8 * 1.
    L = np.array([[0.0, 0.8], [0.8, 0.0]])
    np.testing.assert_allclose(linear_debtrank(L, np.array([0.5, 0.0])), [1.0, 0.8], atol=1e-14)


def test_linear_debtrank_fixed_point_identity_on_random_webs():
    # At the fixed point h = min(1, h0 + L h), for every web, saturated or not.
    for seed in range(5):
        L = random_web(30, 0.2, 0.9, seed)
        h0 = np.zeros(30)
        h0[seed] = 0.9
        h = linear_debtrank(L, h0)
        np.testing.assert_allclose(h, np.minimum(1, h0 + L @ h), atol=1e-10)


def test_linear_debtrank_equals_leontief_on_random_sparse_web_when_unsaturated():
    L = random_web(200, 0.05, 0.6, seed=1)
    h0 = np.zeros(200)
    h0[[3, 17]] = [0.2, 0.1]
    expected = np.linalg.solve(np.eye(200) - L, h0)
    assert expected.max() < 1
    np.testing.assert_allclose(linear_debtrank(sp.csr_matrix(L), h0), expected, atol=1e-11)


def test_linear_debtrank_rows_summing_above_one_still_bounded():
    # rho(L) = 1.5 > 1: unstable, at least one node defaults (Bardoscia et al. 2015); the cap keeps h <= 1.
    L = np.array([[0.0, 1.5], [1.5, 0.0]])
    np.testing.assert_allclose(linear_debtrank(L, np.array([0.1, 0.0])), [1.0, 1.0])


def test_no_shock_no_loss():
    assert not linear_debtrank(CYCLE, np.zeros(3)).any()
    assert not original_debtrank(CYCLE, np.zeros(3)).any()
    assert not nonlinear_debtrank(CYCLE, np.zeros(3), alpha=2).any()


# --------------------------------------------------------------------------------------------------
# original DebtRank
# --------------------------------------------------------------------------------------------------

def test_original_debtrank_methods_cycle():
    # t1: h = (1, 0, 0), states (D, U, U)
    # t2: HUB transmits 1: h = (1, .30, .01); HUB -> I, CLOUD and CHIP -> D
    # t3: CLOUD transmits .30, CHIP transmits .01: HUB += .2*.01 -> cap 1; CHIP += .05*.30 = .015 -> .025
    #     CLOUD, CHIP -> I; nobody distressed: stop. Same as linear here (HUB's feedback is capped anyway).
    np.testing.assert_allclose(original_debtrank(CYCLE, HUB_SHOCK), [1.0, 0.30, 0.025], atol=1e-15)


def test_original_debtrank_cuts_second_pass_and_is_below_linear():
    # HUB loses 0.1.
    # t2: h = (.1, .03, .001); t3: HUB += .2*.001 = .0002 -> .1002, CHIP += .05*.03 = .0015 -> .0025.
    # CHIP already passed its distress on at t3 (with h = .001), so its later .0015 never reaches HUB.
    # Linear: 0.1 * (200, 60, 5)/199 = (.100503, .030151, .0025126): strictly above in HUB and CHIP.
    h_low = original_debtrank(CYCLE, 0.1 * HUB_SHOCK)
    np.testing.assert_allclose(h_low, [0.1002, 0.03, 0.0025], atol=1e-15)
    h_lin = linear_debtrank(CYCLE, 0.1 * HUB_SHOCK)
    assert np.all(h_low <= h_lin + 1e-15) and h_low[0] < h_lin[0] and h_low[2] < h_lin[2]


def test_original_debtrank_caps_impact_at_one():
    # L[B, A] = 3 (B's stake in A is three times its equity): impact min(1, 3) = 1, so B loses 0.2.
    # Linear DebtRank uses the raw leverage: min(1, 3 * 0.2) = 0.6.
    L = np.array([[0.0, 0.0], [3.0, 0.0]])
    np.testing.assert_allclose(original_debtrank(L, np.array([0.2, 0.0])), [0.2, 0.2])
    np.testing.assert_allclose(linear_debtrank(L, np.array([0.2, 0.0])), [0.2, 0.6])


def test_original_debtrank_inactive_nodes_still_receive():
    # A -> B -> A (L[B, A] = .5, L[A, B] = .5), A loses .4.
    # t2: B = .2, A inactive. t3: B transmits .2: A = .4 + .1 = .5 (received while inactive), B inactive.
    L = np.array([[0.0, 0.5], [0.5, 0.0]])
    np.testing.assert_allclose(original_debtrank(L, np.array([0.4, 0.0])), [0.5, 0.2], atol=1e-15)


def test_original_below_linear_on_random_webs():
    for seed in range(5):
        L = random_web(40, 0.15, 0.8, seed)
        h0 = np.random.default_rng(seed).random(40) * (np.arange(40) < 3)
        assert np.all(original_debtrank(L, h0) <= linear_debtrank(L, h0) + 1e-12)


# --------------------------------------------------------------------------------------------------
# non-linear DebtRank
# --------------------------------------------------------------------------------------------------

def test_nonlinear_debtrank_hand_case():
    # A -> B with L[B, A] = 0.5, A loses 0.5, alpha = 1:
    # p_A = 0.5 * exp(1 * (0.5 - 1)) = 0.5 e^-0.5 = 0.303265; B = 0.5 * p_A = 0.25 e^-0.5 = 0.151633
    L = np.array([[0.0, 0.0], [0.5, 0.0]])
    h = nonlinear_debtrank(L, np.array([0.5, 0.0]), alpha=1.0)
    np.testing.assert_allclose(h, [0.5, 0.25 * np.exp(-0.5)], rtol=1e-14)


def test_nonlinear_alpha_zero_is_linear_even_with_saturation():
    L = np.array([[0.0, 0.8], [0.8, 0.0]])
    np.testing.assert_allclose(nonlinear_debtrank(L, np.array([0.5, 0.0]), alpha=0.0), [1.0, 0.8], atol=1e-12)
    for seed in range(3):
        W = random_web(30, 0.2, 0.95, seed)
        h0 = np.zeros(30)
        h0[:2] = 0.7
        np.testing.assert_allclose(nonlinear_debtrank(W, h0, alpha=0), linear_debtrank(W, h0), atol=1e-10)


def test_nonlinear_tiny_alpha_close_to_linear():
    h_lin = linear_debtrank(CYCLE, 0.3 * HUB_SHOCK)
    np.testing.assert_allclose(nonlinear_debtrank(CYCLE, 0.3 * HUB_SHOCK, alpha=1e-9), h_lin, atol=1e-9)


def test_nonlinear_alpha_infinite_passes_only_defaults():
    # Furfine cascade on the chain A -> B -> C (L[B, A] = .5, L[C, B] = .4):
    # A loses 0.5 < 1: nothing moves. A defaults: B loses .5 (< 1, does not default), C nothing.
    L = np.zeros((3, 3))
    L[1, 0], L[2, 1] = 0.5, 0.4
    np.testing.assert_allclose(nonlinear_debtrank(L, np.array([0.5, 0, 0]), alpha=np.inf), [0.5, 0, 0])
    np.testing.assert_allclose(nonlinear_debtrank(L, np.array([1.0, 0, 0]), alpha=np.inf), [1.0, 0.5, 0])


def test_nonlinear_losses_fall_as_alpha_rises():
    L = random_web(30, 0.2, 0.8, seed=4)
    h0 = np.zeros(30)
    h0[:3] = 0.5
    losses = [nonlinear_debtrank(L, h0, alpha=a).sum() for a in (0, 0.5, 1, 5, 50, np.inf)]
    assert all(x >= y - 1e-12 for x, y in zip(losses, losses[1:], strict=False))
    assert losses[0] > losses[-1]


@pytest.mark.parametrize("alpha", [-0.1, float("nan"), "big"])
def test_nonlinear_rejects_bad_alpha(alpha):
    with pytest.raises(ScenarioError, match="alpha"):
        nonlinear_debtrank(CYCLE, HUB_SHOCK, alpha=alpha)


# --------------------------------------------------------------------------------------------------
# properties shared by the DebtRank family
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", [linear_debtrank, original_debtrank,
                                    lambda L, h: nonlinear_debtrank(L, h, alpha=2.0)])
def test_sparse_and_dense_agree(method):
    L = random_web(60, 0.1, 0.9, seed=7)
    h0 = np.zeros(60)
    h0[[0, 5, 9]] = [1.0, 0.4, 0.2]
    dense = method(L, h0)
    for fmt in (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.csr_array):
        np.testing.assert_allclose(method(fmt(L), h0), dense, atol=1e-13)


@pytest.mark.parametrize("method", [linear_debtrank, original_debtrank,
                                    lambda L, h: nonlinear_debtrank(L, h, alpha=1.0)])
def test_monotone_in_the_shock(method):
    L = random_web(40, 0.15, 0.9, seed=3)
    base = np.zeros(40)
    previous = method(L, base)
    for size in np.linspace(0.1, 1.0, 10):
        shock = base.copy()
        shock[[2, 11]] = size
        h = method(L, shock)
        assert np.all(h >= previous - 1e-12)
        assert np.all((h >= shock) & (h <= 1))
        previous = h


def test_first_round_and_split():
    # First round of the METHODS cycle with HUB at 1: min(1, h0 + L h0) = (1, .30, .01);
    # final linear (1, .30, .025): later rounds (0, 0, .015), CHIP's loss via CLOUD.
    np.testing.assert_allclose(first_round(CYCLE, HUB_SHOCK), [1.0, 0.30, 0.01])
    first, later = split_rounds(CYCLE, HUB_SHOCK, linear_debtrank(CYCLE, HUB_SHOCK))
    np.testing.assert_allclose(first, [1.0, 0.30, 0.01])
    np.testing.assert_allclose(later, [0.0, 0.0, 0.015], atol=1e-15)


# --------------------------------------------------------------------------------------------------
# input validation
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("L, h0, match", [
    (np.ones((2, 3)), np.zeros(2), "square"),
    (np.array([[0, -0.1], [0, 0]]), np.zeros(2), "negative"),
    (sp.csr_matrix(np.array([[0, -0.1], [0, 0]])), np.zeros(2), "negative"),
    (np.array([[0, np.nan], [0, 0]]), np.zeros(2), "NaN"),
    (CYCLE, np.zeros(2), "shape"),
    (CYCLE, np.array([1.2, 0, 0]), r"outside \[0, 1\]"),
    (CYCLE, np.array([-0.1, 0, 0]), r"outside \[0, 1\]"),
    (CYCLE, np.array([np.nan, 0, 0]), "NaN"),
])
def test_bad_inputs_raise_one_clear_line(L, h0, match):
    for method in (linear_debtrank, original_debtrank, nonlinear_debtrank, first_round):
        with pytest.raises(ScenarioError, match=match) as info:
            method(L, h0)
        assert "\n" not in str(info.value)


def test_non_convergence_is_reported():
    with pytest.raises(ScenarioError, match="did not converge"):
        linear_debtrank(CYCLE, 0.1 * HUB_SHOCK, max_iter=2)


# --------------------------------------------------------------------------------------------------
# Eisenberg-Noe
# --------------------------------------------------------------------------------------------------

def test_en_barucca_exercise_three_bank_ring():
    # Published inputs: Barucca, github.com/paolobarucca/eisenbergnoe, Exercise2.m (3 banks in a ring,
    # 1 owes 2 four, 2 owes 3 three, 3 owes 1 two; external assets (20, 20, 10), external liabilities
    # (17, 18, 8), uniform 10% shock to external assets). Its eisenbergnoe.m pays external liabilities
    # first, i.e. EN with e = assets - external liabilities.
    liab = np.array([[0, 4, 0], [0, 0, 3], [2, 0, 0]], dtype=float)
    # No shock: e = (3, 2, 2); everybody can pay: p = pbar = (4, 3, 2).
    p, d = eisenberg_noe(liab, np.array([20, 20, 10.0]) - np.array([17, 18, 8.0]))
    np.testing.assert_allclose(p, [4, 3, 2])
    assert not d.any()
    # 10% shock: e = (18 - 17, 18 - 18, 9 - 8) = (1, 0, 1).
    # Try bank 3 solvent, p3 = 2: p1 = min(4, 1 + 2) = 3 (default), p2 = min(3, 0 + 3) = 3 (just pays),
    # p3 = min(2, 1 + 3) = 2. Consistent: p = (3, 3, 2), only bank 1 defaults.
    p, d = eisenberg_noe(liab, 0.9 * np.array([20, 20, 10.0]) - np.array([17, 18, 8.0]))
    np.testing.assert_allclose(p, [3, 3, 2], atol=1e-12)
    assert d.tolist() == [True, False, False]


def test_en_chain():
    # A owes B 10, B owes C 10, e = (4, 0, 0): A pays 4, B passes on the 4 it gets, C receives 4.
    liab = np.array([[0, 10, 0], [0, 0, 10], [0, 0, 0]], dtype=float)
    p, d = eisenberg_noe(liab, np.array([4.0, 0, 0]))
    np.testing.assert_allclose(p, [4, 4, 0])
    assert d.tolist() == [True, True, False]
    np.testing.assert_allclose(creditor_shortfall(liab, p), [0, 6, 6])


def test_en_default_cascade_needs_several_rounds():
    # A owes B 10, B owes C 5, C owes D 5; e = (2, 1, 0, 0).
    # Round 1 (all pay in full): only A is short (2 < 10). Round 2: A pays 2, B has 2 + 1 = 3 < 5.
    # Round 3: B pays 3, C has 3 < 5 and pays 3; D receives 3. p = (2, 3, 3, 0).
    liab = np.zeros((4, 4))
    liab[0, 1], liab[1, 2], liab[2, 3] = 10, 5, 5
    p, d = eisenberg_noe(liab, np.array([2.0, 1, 0, 0]))
    np.testing.assert_allclose(p, [2, 3, 3, 0])
    assert d.tolist() == [True, True, True, False]


def test_en_pro_rata():
    # A owes B 6 and C 4 (10 in all) and has 5: it pays half of each, B gets 3, C gets 2.
    liab = np.array([[0, 6, 4], [0, 0, 0], [0, 0, 0]], dtype=float)
    p, d = eisenberg_noe(liab, np.array([5.0, 0, 0]))
    np.testing.assert_allclose(p, [5, 0, 0])
    np.testing.assert_allclose(creditor_shortfall(liab, p), [0, 3, 2])


def test_en_cycle_with_a_weak_member():
    # A owes B 3, B owes A 1, e = (1, 0). p_A = min(3, 1 + p_B), p_B = min(1, p_A).
    # p_B = 1 -> p_A = 2 -> p_B = min(1, 2) = 1: p = (2, 1), A defaults by 1.
    p, d = eisenberg_noe(np.array([[0, 3], [1, 0.0]]), np.array([1.0, 0]))
    np.testing.assert_allclose(p, [2, 1])
    assert d.tolist() == [True, False]


def test_en_non_unique_returns_greatest():
    # METHODS 2.4 counter-example: each owes the other 1, no outside money; every (t, t), t in [0, 1],
    # clears. The greatest vector is (1, 1): the debts net out and nobody defaults.
    p, d = eisenberg_noe(np.array([[0, 1], [1, 0.0]]), np.zeros(2))
    np.testing.assert_allclose(p, [1, 1])
    assert not d.any()


def test_en_matches_tarski_iteration_and_clears_on_random_networks():
    # The greatest clearing vector is also the limit of p <- min(pbar, e + Pi' p) from p = pbar.
    rng = np.random.default_rng(0)
    for _ in range(10):
        n = 25
        liab = rng.random((n, n)) * 10 * (rng.random((n, n)) < 0.2)
        np.fill_diagonal(liab, 0)
        e = rng.random(n) * 5 * (rng.random(n) < 0.6)
        p, d = eisenberg_noe(liab, e)
        pbar = liab.sum(1)
        pi = np.divide(liab, pbar[:, None], out=np.zeros_like(liab), where=pbar[:, None] > 0)
        q = pbar.copy()
        for _ in range(20_000):
            q = np.minimum(pbar, e + pi.T @ q)
        np.testing.assert_allclose(p, q, atol=1e-8)
        np.testing.assert_allclose(p, np.minimum(pbar, e + pi.T @ p), atol=1e-9)
        assert np.array_equal(d, p < pbar - 1e-9)
        p_sparse, d_sparse = eisenberg_noe(sp.csr_matrix(liab), e)
        np.testing.assert_allclose(p_sparse, p, atol=1e-12)
        assert np.array_equal(d_sparse, d)


@pytest.mark.parametrize("liab, e, match", [
    (np.array([[0, -1], [0, 0.0]]), np.zeros(2), "negative"),
    (np.array([[1, 1], [0, 0.0]]), np.zeros(2), "owe itself"),
    (np.array([[0, 1], [0, 0.0]]), np.array([-1.0, 0]), ">= 0"),
    (np.array([[0, 1], [0, 0.0]]), np.zeros(3), "shape"),
])
def test_en_bad_inputs(liab, e, match):
    with pytest.raises(ScenarioError, match=match):
        eisenberg_noe(liab, e)

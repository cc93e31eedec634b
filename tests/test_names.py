"""Names: the stress engine is a module, ex.stress is the function, old names still work with a warning."""

from __future__ import annotations

import importlib

import pytest

import exposure as ex
import exposure.contagion
from exposure.dealweb import normalize_ticker


def test_the_engine_is_a_module_and_stress_is_the_function():
    assert ex.stress.__module__ == "exposure.scenarios" and callable(ex.stress)
    assert exposure.contagion.linear_debtrank.__module__ == "exposure.contagion"
    for name in exposure.contagion.__all__:
        assert hasattr(exposure.contagion, name)


def test_the_engines_old_module_name_still_imports_with_a_deprecation_warning():
    old = importlib.import_module("exposure.stress")
    with pytest.warns(DeprecationWarning, match="exposure.contagion"):
        assert old.linear_debtrank is exposure.contagion.linear_debtrank
    with pytest.warns(DeprecationWarning):
        from exposure.stress import eisenberg_noe
    assert eisenberg_noe is exposure.contagion.eisenberg_noe
    assert ex.stress.__module__ == "exposure.scenarios"  # importing the old module did not rebind ex.stress


def test_renamed_functions_keep_their_old_spelling_with_a_warning():
    from exposure.dealweb import normalise_ticker

    with pytest.warns(DeprecationWarning, match="normalize_ticker"):
        assert normalise_ticker(" brk.b ") == normalize_ticker("BRK-B") == "BRK-B"
    weights = ex.Portfolio.from_weights({"NVDA": 2.0, "KO": 2.0})
    with pytest.warns(DeprecationWarning, match="normalization_note"):
        assert weights.normalisation_note() == weights.normalization_note() == "weights summed to 4; normalized to 1."


def test_short_reprs_for_the_web_and_a_stress_result():
    web = ex.DealWeb.bundled()
    assert repr(web) == f"DealWeb({len(web.companies)} companies, {len(web.deals)} deals)"
    page = web._repr_html_()
    largest = web.deals.loc[web.deals["amount_usd_bn"].astype(float).idxmax(), "id"]
    assert f"<th>{largest}</th>" in page and "Deals by status" in page and len(page) < 10_000
    result = ex.stress(ex.Portfolio.from_weights({"ORCL": 1.0}), web, shocks={"openai": 0.5})
    text = repr(result)
    assert text.startswith("StressResult(Stress openai -50.0%: portfolio loss ") and len(text) < 200
    assert f"{100 * result.portfolio_loss:.1f}%" in text


def test_the_exposure_matrix_repr_is_one_line():
    from exposure.batch import exposure_matrix

    matrix = exposure_matrix(["NVDA", "KO", "CASH"], hubs=["openai", "nvidia"])
    assert repr(matrix) == "ExposureMatrix(3 tickers x 2 hubs; 1 with hub exposure)"

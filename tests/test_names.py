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

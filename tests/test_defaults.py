"""The engine's default parameters without pydantic (exposure.defaults.DefaultModel) are ExposureModel()'s."""

from __future__ import annotations

import dataclasses

import numpy as np

from exposure import DealWeb
from exposure.defaults import DefaultModel
from exposure.models import ExposureModel


def test_default_model_reads_as_exposure_model():
    model, default = ExposureModel(), DefaultModel()
    assert [f.name for f in dataclasses.fields(default)] == list(ExposureModel.model_fields)
    for name in ExposureModel.model_fields:
        assert getattr(default, name) == getattr(model, name), name
    assert default.model_dump(mode="json") == model.model_dump(mode="json")
    assert default.model_dump_json() == model.model_dump_json()  # one cache entry for both in DealWeb.sensitivity


def test_the_default_and_an_explicit_exposure_model_give_the_same_matrix():
    web = DealWeb.bundled()
    implicit = web.sensitivity()
    assert web.sensitivity(ExposureModel()) is implicit  # the same cached L
    fresh = DealWeb.bundled().sensitivity(ExposureModel())
    np.testing.assert_array_equal(implicit.dense(), fresh.dense())

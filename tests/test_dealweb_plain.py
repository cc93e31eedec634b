"""The bundled deal web is read with plain checks instead of pydantic (start-up speed, issue 13 item 8):
the checks must be the models' constraints, accept only what pydantic accepts, and give what pydantic gives."""

from __future__ import annotations

import enum
import types
import typing

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from exposure._plain import Choice, Number, Text, plain_record
from exposure.models import Company, Deal
from exposure.webfiles import COMPANY_FIELDS, DEAL_FIELDS, data_file, read_companies, read_deals

PAIRS = [(Company, COMPANY_FIELDS), (Deal, DEAL_FIELDS)]
#: A valid row of each (text cells, None for blank), which the property test below mutates.
VALID = {Company: {"id": "oracle", "name": "Oracle", "ticker": "ORCL", "layer": "hyperscaler_cloud",
                   "revenue_usd_bn": "57.4", "market_cap_usd_bn": "600", "as_of": "2025-10-01",
                   "source_url": "https://example.com/a", "notes": None},
         Deal: {"id": "d1", "payer": "openai", "payee": "oracle", "type": "cloud_compute_contract",
                "amount_usd_bn": "300", "duration_years": "5", "announced": "2025-09", "status": "reported",
                "source_url": "https://example.com/a", "notes": None, "capacity_gw": "4.5", "firm_usd_bn": None,
                "source_kind": "news", "source_url_2": None, "checked": "2025-11-01"}}


def _constraints(info) -> dict[str, object]:
    found: dict[str, object] = {}
    for item in info.metadata:
        for key in ("min_length", "pattern", "ge", "gt"):
            if getattr(item, key, None) is not None:
                found[key] = getattr(item, key)
    return found


@pytest.mark.parametrize("model, fields", PAIRS, ids=["Company", "Deal"])
def test_plain_fields_are_the_models_constraints(model, fields):
    assert list(fields) == list(model.model_fields)
    for name, info in model.model_fields.items():
        field = fields[name]
        kinds = [a for a in typing.get_args(info.annotation) if a is not type(None)] or [info.annotation]
        assert len(kinds) == 1, name
        kind = kinds[0]
        optional = isinstance(info.annotation, types.UnionType)
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            assert field == Choice(kind, required=info.is_required()), name
        elif kind is float:
            assert optional and isinstance(field, Number), name
            assert {k: v for k, v in (("ge", field.ge), ("gt", field.gt)) if v is not None} == _constraints(info)
        else:
            assert kind is str and isinstance(field, Text), name
            assert field.required == info.is_required() and field.required != optional, name
            shown = {k: v for k, v in (("min_length", field.min_length), ("pattern", field.pattern)) if v is not None}
            assert shown == _constraints(info), name


def test_bundled_files_read_the_same_with_and_without_pydantic():
    plain = read_companies(data_file("companies.csv"), plain=True)
    pd.testing.assert_frame_equal(plain, read_companies(data_file("companies.csv")))
    ids = set(plain.index)
    pd.testing.assert_frame_equal(read_deals(data_file("deals.csv"), ids, plain=True),
                                  read_deals(data_file("deals.csv"), ids))


CELLS = st.one_of(st.none(), st.sampled_from(
    ["", "0", "-0", "12", "1.5", ".5", "5.", "1e3", "1e400", "-1", "nan", "inf", "1_0", " 2", "abc", "x\n", "openai",
     "Open AI", "2025-01", "2025-01-15", "2025-13-40", "2025-1-5", "１２", "chip_supply", "announced", "filing",
     "semiconductor", "Semiconductor", "https://example.com/a"]), st.text(max_size=6))


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(data=st.data(), pair=st.sampled_from(PAIRS))
def test_a_row_plain_checks_accept_is_one_pydantic_accepts_the_same_way(data, pair):
    model, fields = pair
    values = dict(VALID[model])
    for name in data.draw(st.lists(st.sampled_from(list(fields)), max_size=3), label="changed"):
        values[name] = data.draw(CELLS, label=name)
    values = {k: (None if v == "" else v) for k, v in values.items()}
    record = plain_record(values, fields)
    try:
        expected = model.model_validate(values).model_dump(mode="json")
    except ValidationError:
        assert record is None
        return
    if record is not None:
        assert record == expected
        assert [type(v) for v in record.values()] == [type(v) for v in expected.values()]


def test_announcement_days_parse_as_pandas_does():
    from exposure.dealweb import _days

    texts = pd.Series(["2025-09", "2025-09-30", "2024-02-29", "2026-01-15T10:00", "2023-12"], index=[3, 1, 4, 1, 5])
    expected = pd.to_datetime(texts.str.slice(0, 10), format="mixed").dt.date
    pd.testing.assert_series_equal(_days(texts), expected)
    other = pd.Series(["Sep 2025", "2025-09"])  # not ISO: pandas' parser decides
    pd.testing.assert_series_equal(_days(other), pd.to_datetime(other, format="mixed").dt.date)

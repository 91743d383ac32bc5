"""The results contract: every province's results.json conforms to its JSON Schema, and the
typed records name every key the schema requires."""

from __future__ import annotations

import json
import typing

import jsonschema
import pytest

from briefings.cache import prepare
from briefings.compare import province_results, provinces_with_measures
from briefings.results import CLAIM_KINDS, Claim, Comparison, Results, schema

from .conftest import DATA


@pytest.fixture(scope="module")
def everything():
    prepared = prepare(DATA)
    return {slug: province_results(prepared.dataset, slug, prepared.table) for slug in provinces_with_measures(prepared.dataset)}


def test_the_schema_is_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(schema())


def test_every_province_results_conform(everything):
    validator = jsonschema.Draft202012Validator(schema())
    for slug, results in everything.items():
        data = json.loads(json.dumps(results))  # as written to results.json
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
        assert not errors, f"{slug}: {errors[0].message} at {'/'.join(map(str, errors[0].path))}"


def test_a_results_document_that_breaks_the_contract_is_refused(everything):
    validator = jsonschema.Draft202012Validator(schema())
    results = json.loads(json.dumps(next(iter(everything.values()))))
    results["claims"].append(
        {"id": "rank-x-001-0123456789", "kind": "rank", "measure_ids": ["x-001"], "basis": {}, "rank": 1, "n": 2}
    )
    assert any("minimum" in e.message or "2 is less than" in e.message for e in validator.iter_errors(results))
    results["claims"][-1] = {"id": "x-x-001-0123456789", "kind": "boast", "measure_ids": ["x-001"], "basis": {}}
    assert any("boast" in e.message for e in validator.iter_errors(results))


def test_the_typed_records_name_every_required_key():
    required = schema()["required"]
    assert set(required) <= set(typing.get_type_hints(Results))
    assert set(schema()["$defs"]["comparison"]["required"]) <= set(typing.get_type_hints(Comparison))
    assert set(schema()["$defs"]["claim"]["required"]) <= set(typing.get_type_hints(Claim))
    assert set(schema()["$defs"]["claim"]["properties"]["kind"]["enum"]) == set(CLAIM_KINDS)


def test_an_unknown_claim_kind_is_an_error_never_an_empty_sentence(everything):
    from briefings.wording import Words

    results = next(iter(everything.values()))
    with pytest.raises(ValueError, match="boast"):
        Words(results, "en").sentence({"id": "x", "kind": "boast", "measure_ids": [], "basis": {}})

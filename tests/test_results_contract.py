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


def test_claims_stored_by_reference_read_back_as_the_analysis_made_them(everything):
    """results.json stores a claim's measure lists by reference to its comparison; reading it
    gives back every claim (and dropped claim) as the analysis made it, and the stored form
    conforms to the schema."""
    from briefings.results import compact_claims, expand_claims

    validator = jsonschema.Draft202012Validator(schema())
    referenced = 0
    for slug, results in everything.items():
        made = json.loads(json.dumps(results))
        stored = json.loads(json.dumps(compact_claims(results)))
        assert stored["comparisons"] == made["comparisons"], slug
        errors = list(validator.iter_errors(stored))
        assert not errors, f"{slug}: {errors[0].message} at {'/'.join(map(str, errors[0].path))}"
        for claim in stored["claims"]:
            if claim.get("members") == "comparison":
                referenced += 1
                assert claim["measure_ids"] == [made["claims"][stored["claims"].index(claim)]["measure_ids"][0]]
                assert "compared_with" not in claim and "holders" not in claim["basis"]
        assert expand_claims(stored) == made, slug
        assert json.loads(json.dumps(results)) == made, f"{slug}: compacting changed the analysis's results"
    assert referenced > 0  # rank claims of the real data are stored by reference


def test_a_claim_whose_lists_are_not_its_comparisons_is_stored_whole(everything):
    from briefings.results import compact_claims, expand_claims

    results = json.loads(json.dumps(next(r for r in everything.values() if any(c["kind"] == "rank" for c in r["claims"]))))
    i = next(i for i, c in enumerate(results["claims"]) if c["kind"] == "rank")
    results["claims"][i]["compared_with"] = results["claims"][i]["compared_with"][:-1]  # not the comparison's
    stored = compact_claims(results)
    assert "members" not in stored["claims"][i] and stored["claims"][i] == results["claims"][i]
    assert expand_claims(json.loads(json.dumps(stored)))["claims"][i] == results["claims"][i]


def test_a_stored_claim_naming_no_comparison_of_its_file_is_an_error(everything):
    from briefings.results import compact_claims, expand_claims

    results = json.loads(json.dumps(next(r for r in everything.values() if any(c["kind"] == "rank" for c in r["claims"]))))
    stored = json.loads(json.dumps(compact_claims(results)))
    i = next(i for i, c in enumerate(stored["claims"]) if c.get("members"))
    stored["claims"][i]["comparison_id"] = "no-such-comparison"
    with pytest.raises(ValueError, match=rf"claims\[{i}\]"):
        expand_claims(stored)


def test_results_written_as_encoded_are_the_stable_text(everything, tmp_path):
    """write_results streams the JSON to the file: the bytes are results_json's, and read back
    they are the analysis's results."""
    from briefings.analysis import read_results, results_json, write_results
    from briefings.results import compact_claims

    slug, results = next(iter(everything.items()))
    figures = {"funds": {"zh": "fig-funds.zh.svg", "en": "fig-funds.en.svg"}}
    path = write_results(results, figures, tmp_path)
    assert path.read_bytes() == results_json(compact_claims({**results, "figures": figures})).encode("utf-8"), slug
    assert read_results(tmp_path) == json.loads(json.dumps({**results, "figures": figures}))
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temporary file left

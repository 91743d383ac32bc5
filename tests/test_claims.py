"""The claim rules, each on a fixture dataset built to break it, and over the shipped data.

Every test writes a small dataset (the mini fixture with its own measures), compares and
words it, and checks what a page would print: the claims kept, the claims dropped with the
rule that dropped them, and the sentences in both languages.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest

from briefings.cache import prepare
from briefings.claims import RULES, Context, violations
from briefings.compare import province_results, provinces_with_measures
from briefings.wording import Words

from .conftest import DATA, ROOT

MINI = Path(__file__).parent / "fixtures" / "mini"

DEFAULTS = {
    "region": "CN-HE",
    "locality": "",
    "joint_with": "",
    "policy": "",
    "category": "compute",
    "instrument": "",
    "metric": "compute_total",
    "value_reported": "10",
    "unit_reported": "EFLOPS",
    "qualifier": "eq",
    "qualifier_word": "",
    "period": "",
    "year": "2025",
    "year_basis": "stated",
    "status": "target",
    "comparable": "yes",
    "source_id": "fixture",
    "evidence": "",
    "summary_zh": "一项数字。",
    "summary_en": "A figure.",
    "note_zh": "",
    "note_en": "",
    "curator_note": "",
}
RANK_WORDS_EN = re.compile(r"\b(ranks?|first|leads?|trails?|second|third)\b")
RANK_WORDS_ZH = re.compile(r"居首|领先|落后|居第|并列第一")


def dataset(tmp_path: Path, rows: list[dict[str, str]], *, policies: list[dict[str, str]] | None = None) -> Path:
    """The mini fixture with these measures (defaults filled; the evidence states the figure)."""
    data = tmp_path / "data"
    shutil.copytree(MINI, data)
    shutil.copyfile(DATA / "qualifiers.csv", data / "qualifiers.csv")  # every qualifier word
    header = (MINI / "measures.csv").read_text(encoding="utf-8").split("\n", 1)[0].split(",")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for number, row in enumerate(rows, start=1):
        r = {**DEFAULTS, **row}
        r.setdefault("measure_id", f"x-{number:03d}")
        if not r["evidence"]:
            r["evidence"] = (
                f"{r['qualifier_word'] if r['qualifier_word'] not in ('以上', '余', '左右') else ''}"
                f"{r['value_reported'].replace('-', '—')}{r['unit_reported']}"
                f"{r['qualifier_word'] if r['qualifier_word'] in ('以上', '左右') else ''}"
            )
        writer.writerow(r)
    (data / "measures.csv").write_text(out.getvalue(), encoding="utf-8")
    if policies:
        text = (data / "policies.csv").read_text(encoding="utf-8")
        for p in policies:
            text += (
                ",".join(
                    p[k]
                    for k in ("policy_id", "region", "title_zh", "title_en", "issuer_zh", "issuer_en", "kind", "year", "period")
                )
                + "\n"
            )
        (data / "policies.csv").write_text(text, encoding="utf-8")
    return data


def results_of(data: Path, slug: str):
    prepared = prepare(data)
    return province_results(prepared.dataset, slug, prepared.table)


def sentences(results, lang: str) -> list[str]:
    words = Words(results, lang)
    return [words.sentence(c) for c in results["claims"]]


def claims_of(results, kind: str):
    return [c for c in results["claims"] if c["kind"] == kind]


def dropped_rules(results) -> set[str]:
    return {r["rule"] for d in results["dropped"] for r in d["rules"]}


def test_statuses_never_share_a_comparison_or_a_ratio(tmp_path):
    # a projection of "more than 94" set against targets of "35 or more" and 40: Henan's
    # projection compares with nothing; the two targets are a pair
    data = dataset(
        tmp_path,
        [
            {
                "region": "CN-HA",
                "value_reported": "94",
                "qualifier": "min",
                "qualifier_word": "突破",
                "status": "projection",
                "evidence": "预计突破94EFLOPS",
            },
            {"region": "CN-HE", "value_reported": "35", "qualifier": "min", "qualifier_word": "以上"},
            {"region": "CN-AH", "value_reported": "40"},
        ],
    )
    henan = results_of(data, "henan")
    (c,) = [c for c in henan["comparisons"] if c["metric"] == "compute_total"]
    assert c["kind"] == "alone" and c["status"] == "projection"
    assert not claims_of(henan, "rank") and not claims_of(henan, "pair")
    hebei = results_of(data, "hebei")
    (pair,) = claims_of(hebei, "pair")
    assert {hebei["measures"][i]["status"] for i in pair["measure_ids"]} == {"target"}
    for lang in ("en", "zh"):
        assert not any("94" in s for s in sentences(hebei, lang) if "35" in s)  # never beside the projection
        assert not any(re.search(r"times|倍", s) for s in sentences(henan, lang))


def test_targets_compare_only_for_the_same_stated_year(tmp_path):
    data = dataset(
        tmp_path,
        [
            {"region": "CN-HE", "value_reported": "30", "year": "2025"},
            {"region": "CN-JX", "value_reported": "100", "year": "2027", "qualifier": "approx", "qualifier_word": "左右"},
            {"region": "CN-AH", "value_reported": "20", "year": "2025"},
        ],
    )
    hebei = results_of(data, "hebei")
    (c,) = [c for c in hebei["comparisons"] if c["kind"] != "alone"]
    assert c["year"] == 2025 and {e["holder"]["code"] for e in c["entries"]} == {"CN-HE", "CN-AH"}
    assert [e["holder"]["code"] for e in c["beside"]] == ["CN-JX"]  # side by side, labelled, unranked
    assert all(e.get("rank") is None for e in c["beside"])
    assert not any("100" in s for s in sentences(hebei, "en"))


def test_a_year_taken_from_the_report_is_never_printed_as_a_target_year(tmp_path):
    report = {
        "policy_id": "anhui-gwr",
        "region": "CN-AH",
        "title_zh": "安徽省政府工作报告",
        "title_en": "Anhui work report",
        "issuer_zh": "",
        "issuer_en": "",
        "kind": "work_report",
        "year": "2024",
        "period": "",
    }
    data = dataset(
        tmp_path,
        [
            {
                "region": "CN-AH",
                "metric": "compute_intelligent",
                "value_reported": "12000",
                "unit_reported": "P",
                "year": "2024",
                "year_basis": "document",
                "policy": "anhui-gwr",
            },
            {"region": "CN-HE", "metric": "compute_intelligent", "value_reported": "9000", "unit_reported": "P", "year": "2024"},
        ],
        policies=[report],
    )
    anhui = results_of(data, "anhui")
    assert all(c["kind"] == "alone" for c in anhui["comparisons"])  # compares with nothing, not even a 2024 target
    (en,) = [s for s in sentences(anhui, "en") if "12" in s]
    (zh,) = [s for s in sentences(anhui, "zh") if "12" in s]
    assert "by 2024" not in en and "2024 work report" in en and "no target year" in en
    assert "到 2024 年" not in zh and "2024 年政府工作报告" in zh and "未写明目标年份" in zh


def test_times_only_between_exact_figures(tmp_path):
    data = dataset(
        tmp_path,
        [
            {"region": "CN-HA", "value_reported": "90"},
            {"region": "CN-HE", "value_reported": "30"},
            {"region": "CN-AH", "status": "baseline", "value_reported": "60", "qualifier": "min", "qualifier_word": "突破"},
            {"region": "CN-SX", "status": "baseline", "value_reported": "20"},
        ],
    )
    henan = results_of(data, "henan")
    (pair,) = claims_of(henan, "pair")
    assert pair["ratio"] == pytest.approx(3.0)
    assert any("3 times" in s for s in sentences(henan, "en")) and any("3 倍" in s for s in sentences(henan, "zh"))
    anhui = results_of(data, "anhui")
    (pair,) = claims_of(anhui, "pair")
    assert pair["ratio"] is None and pair["relation"] == "stronger"  # more than 60 is certainly above 20
    assert "exact_ratio" in dropped_rules(anhui)  # the 3-times variant was proposed and dropped
    assert not any("times" in s for s in sentences(anhui, "en")) and not any("倍" in s for s in sentences(anhui, "zh"))


def test_an_order_the_qualifiers_leave_open_is_never_stated(tmp_path):
    data = dataset(
        tmp_path,
        [
            {"region": "CN-HA", "status": "baseline", "value_reported": "94", "qualifier": "min", "qualifier_word": "突破"},
            {"region": "CN-HE", "status": "baseline", "value_reported": "100", "qualifier": "approx", "qualifier_word": "约"},
        ],
    )
    henan = results_of(data, "henan")
    (pair,) = claims_of(henan, "pair")
    assert pair["relation"] == "open" and pair["ratio"] is None
    assert "certain_order" in dropped_rules(henan)
    (en,) = sentences(henan, "en")[:1]
    assert "order open" in en and "higher" not in en and "lower" not in en


def test_rank_words_only_among_three_and_every_ranking_names_its_base(tmp_path):
    two = dataset(tmp_path / "two", [{"region": "CN-HA", "value_reported": "9"}, {"region": "CN-HE", "value_reported": "5"}])
    henan = results_of(two, "henan")
    assert not claims_of(henan, "rank")
    assert not any(RANK_WORDS_EN.search(s) for s in sentences(henan, "en"))
    assert not any(RANK_WORDS_ZH.search(s) for s in sentences(henan, "zh"))
    three = dataset(
        tmp_path / "three",
        [
            {"region": "CN-HA", "value_reported": "9"},
            {"region": "CN-HE", "value_reported": "5"},
            {"region": "CN-AH", "value_reported": "7"},
        ],
    )
    henan = results_of(three, "henan")
    (rank,) = claims_of(henan, "rank")
    assert rank["rank"] == 1 and rank["n"] == 3
    (en,) = [s for s in sentences(henan, "en") if "ranks" in s]
    assert ": of the 3 province-level regions with a figure in the sources" in en
    (zh,) = [s for s in sentences(henan, "zh") if "居首" in s]
    assert "3 个省级地区" in zh
    # the rule itself refuses a rank claim among two
    ctx = Context(henan["measures"], henan["metrics"], henan["instruments"], 2025)
    broken = {**rank, "n": 2}
    assert ("three_for_rank", "a rank among 2 holders") in violations(broken, ctx)


def test_a_figure_marked_not_comparable_is_never_ranked(tmp_path):
    data = dataset(
        tmp_path,
        [
            {"region": "CN-HA", "value_reported": "9", "comparable": "no"},
            {"region": "CN-HE", "value_reported": "5"},
            {"region": "CN-AH", "value_reported": "7"},
        ],
    )
    henan = results_of(data, "henan")
    assert all(c["kind"] == "alone" for c in henan["comparisons"])
    assert not claims_of(henan, "rank") and not claims_of(henan, "pair")
    hebei = results_of(data, "hebei")
    assert {e["holder"]["code"] for c in hebei["comparisons"] for e in c["entries"]} == {"CN-HE", "CN-AH"}


def test_a_target_whose_year_has_passed_says_so(tmp_path):
    # the data date is 2025 (the fixture's latest source): a 2024 target has passed
    data = dataset(tmp_path, [{"region": "CN-HE", "value_reported": "35", "year": "2024"}])
    hebei = results_of(data, "hebei")
    assert any("target year has passed" in s for s in sentences(hebei, "en"))
    assert any("目标年份已过" in s for s in sentences(hebei, "zh"))
    (c,) = hebei["comparisons"]
    assert c["entries"][0]["lapsed"]
    claim = claims_of(hebei, "statement")[0]
    ctx = Context(hebei["measures"], hebei["metrics"], hebei["instruments"], 2025)
    assert violations({**claim, "lapsed": False}, ctx) == [
        ("lapsed_labelled", RULES["lapsed_labelled"]({**claim, "lapsed": False}, ctx))
    ]


def test_a_proposal_is_never_an_instrument_a_region_has(tmp_path):
    from briefings.overview import overview_results

    data = dataset(
        tmp_path,
        [
            {
                "region": "CN-ZJ",
                "category": "voucher",
                "instrument": "compute_voucher",
                "metric": "named",
                "value_reported": "",
                "unit_reported": "",
                "qualifier": "",
                "status": "proposal",
                "evidence": "通过创设算力券等措施",
            },
            {
                "region": "CN-HA",
                "category": "voucher",
                "instrument": "compute_voucher",
                "metric": "named",
                "value_reported": "",
                "unit_reported": "",
                "qualifier": "",
                "status": "policy",
                "evidence": "加强算力券等政策工具引导",
            },
        ],
    )
    prepared = prepare(data)
    overview = overview_results(prepared.dataset, prepared.table)
    assert [r["code"] for r in overview["matrix"]] == ["CN-HA"]
    assert overview["proposals"] == ["x-001"]
    ctx = Context(overview["measures"], {}, {}, 2025)
    held = {"kind": "holds", "measure_ids": ["x-001"], "basis": {}}
    assert violations(held, ctx)[0][0] == "proposal_not_held"


def test_no_exclusivity_from_a_sample():
    only = {"kind": "statement", "measure_ids": [], "only": True, "basis": {}}
    assert RULES["no_sample_exclusivity"](only, Context({}, {}, {}, 2025))
    assert RULES["no_sample_exclusivity"]({**only, "sample_qualified": True}, Context({}, {}, {}, 2025)) is None


@pytest.mark.parametrize(
    "word, value, unit, qualifier, zh, en, table",
    [
        ("余", "30", "项", "min", "30 余项", "more than 30", "> 30"),
        ("近", "1", "半", "approx", "近一半", "nearly half", "nearly half"),
        ("百亿", "100", "亿元", "approx", "百亿元级", "on the order of CNY 10 billion", "on the order of CNY 10 billion"),
        ("小于", "1", "ms", "max", "小于 1 毫秒", "less than 1 ms", "< 1 ms"),
        ("突破", "94", "EFlops", "min", "突破 94 EFLOPS", "more than 94 EFLOPS", "> 94 EFLOPS"),
        ("以上", "35", "EFLOPS", "min", "35 EFLOPS 以上", "35 EFLOPS or more", "≥ 35 EFLOPS"),
    ],
)
def test_qualifiers_print_as_the_source_gives_them(word, value, unit, qualifier, zh, en, table):
    from briefings.format import figure

    prepared = prepare(DATA)
    forms = {
        q["word"]: {"symbol": q["symbol"], "zh": q["zh_form"], "en": q["en_form"]}
        for q in prepared.dataset.qualifiers.to_dict("records")
    }
    units = prepared.dataset.units.set_index("unit")
    factor, base = float(units.at[unit, "factor"]), units.at[unit, "base_unit"]
    e = {
        "value": float(value) * factor,
        "value_high": None,
        "unit": base,
        "unit_reported": unit,
        "qualifier": qualifier,
        "words": forms[word],
    }
    assert figure(e, "zh", style="words") == zh
    assert figure(e, "en", style="words") == en
    assert figure(e, "en", style="table") == table


def test_findings_are_never_boilerplate(tmp_path):
    data = dataset(tmp_path, [{"region": "CN-HA", "value_reported": "9"}])
    henan = results_of(data, "henan")
    by_id = {c["id"]: c for c in henan["claims"]}
    assert all(by_id[i]["kind"] in ("statement", "rank", "pair", "reference") for i in henan["findings"])
    text = " ".join(Words(henan, "en").sentence(by_id[i]) for i in henan["findings"])
    assert "not reported" not in text and "No other region" not in text


def test_a_province_with_few_figures_gets_a_profile(tmp_path):
    data = dataset(
        tmp_path,
        [
            {"region": "CN-HA", "value_reported": "9"},
            {"region": "CN-HE", "value_reported": "5"},
            {"region": "CN-HE", "metric": "compute_intelligent", "value_reported": "5"},
            {
                "region": "CN-HE",
                "metric": "fund_size",
                "category": "fund",
                "instrument": "ai_industry_fund",
                "value_reported": "30",
                "unit_reported": "亿元",
                "status": "policy",
            },
        ],
    )
    assert results_of(data, "henan")["profile"] == "thin"
    assert results_of(data, "hebei")["profile"] == "full"


@pytest.fixture(scope="module")
def everything():
    """Results of every province of the shipped dataset."""
    prepared = prepare(DATA)
    return {slug: province_results(prepared.dataset, slug, prepared.table) for slug in provinces_with_measures(prepared.dataset)}


def test_every_claim_on_the_shipped_data_keeps_every_rule(everything):
    from briefings.dates import parse

    for slug, results in everything.items():
        ctx = Context(results["measures"], results["metrics"], results["instruments"], parse(results["data_as_of"]).start.year)
        for claim in results["claims"]:
            assert not violations(claim, ctx), (slug, claim["id"], violations(claim, ctx))


def test_no_sentence_on_the_shipped_data_ranks_two_or_compares_across_status(everything):
    for slug, results in everything.items():
        for lang, rank_words in (("en", RANK_WORDS_EN), ("zh", RANK_WORDS_ZH)):
            words = Words(results, lang)
            for claim in results["claims"]:
                text = words.sentence(claim)
                if claim["kind"] != "rank":
                    assert not rank_words.search(text) or claim["kind"] in ("statement", "reference"), (slug, lang, text)
                else:
                    assert claim["n"] >= 3, (slug, lang, text)
                if claim.get("ratio"):
                    ms = [results["measures"][i] for i in claim["measure_ids"][:2]]
                    assert len({m["status"] for m in ms}) == 1 and all(m["qualifier"] in ("eq", "max") for m in ms), (
                        slug,
                        lang,
                        text,
                    )


def test_at_least_eight_comparisons_rank_three_or_more(everything):
    ranked = {c["id"] for r in everything.values() for c in r["comparisons"] if c["kind"] == "ranked" and c["n_regions"] >= 3}
    assert len(ranked) >= 8, sorted(ranked)


def test_the_same_number_with_another_qualifier_is_neither_tied_nor_ordered(tmp_path):
    # Beijing's 3000 and Guangdong's "more than 3000": not "the same figure", and no order
    data = dataset(
        tmp_path,
        [
            {
                "region": "CN-HE",
                "metric": "industry_scale_ai_core",
                "category": "industry",
                "value_reported": "3000",
                "unit_reported": "亿元",
                "evidence": "达到3000亿元",
            },
            {
                "region": "CN-HA",
                "metric": "industry_scale_ai_core",
                "category": "industry",
                "value_reported": "3000",
                "unit_reported": "亿元",
                "qualifier": "min",
                "qualifier_word": "超过",
                "evidence": "超过3000亿元",
            },
        ],
    )
    hebei = results_of(data, "hebei")
    (pair,) = claims_of(hebei, "pair")
    assert pair["relation"] == "open"
    zh, en = (" ".join(sentences(hebei, lang)) for lang in ("zh", "en"))
    assert "相同" not in zh and "均为" not in zh and "both state" not in en
    assert "超过 3000 亿元" in zh and "3000 亿元" in zh and "more than CNY 300 billion" in en
    # among three, the two are neither tied nor ranked apart with certainty
    data = dataset(
        tmp_path / "three",
        [
            {
                "region": "CN-HE",
                "metric": "industry_scale_ai_core",
                "category": "industry",
                "value_reported": "3000",
                "unit_reported": "亿元",
                "evidence": "达到3000亿元",
            },
            {
                "region": "CN-HA",
                "metric": "industry_scale_ai_core",
                "category": "industry",
                "value_reported": "3000",
                "unit_reported": "亿元",
                "qualifier": "min",
                "qualifier_word": "超过",
                "evidence": "超过3000亿元",
            },
            {
                "region": "CN-AH",
                "metric": "industry_scale_ai_core",
                "category": "industry",
                "value_reported": "1000",
                "unit_reported": "亿元",
                "evidence": "达到1000亿元",
            },
        ],
    )
    hebei = results_of(data, "hebei")
    (comparison,) = [c for c in hebei["comparisons"] if c["kind"] == "ranked"]
    by_region = {e["holder"]["code"]: e for e in comparison["entries"]}
    assert not by_region["CN-HE"]["tie"] and by_region["CN-HE"]["uncertain"]
    assert not claims_of(hebei, "rank")
    assert "certain_order" in dropped_rules(hebei)


def test_tied_figures_of_one_province_are_one_sentence(tmp_path):
    # Shijiazhuang and Langfang (both Hebei's) tie for second: one sentence names both
    rows = [
        {"region": "CN-HE", "locality": "130100", "value_reported": "20"},
        {"region": "CN-HE", "locality": "131000", "value_reported": "20"},
        {"region": "CN-JS", "locality": "320100", "value_reported": "30"},
        {"region": "CN-ZJ", "locality": "330100", "value_reported": "5"},
    ]
    hebei = results_of(dataset(tmp_path, rows), "hebei")
    ranks = [c for c in claims_of(hebei, "rank") if c["basis"]["level"] == "city"]
    assert len(ranks) == 1 and ranks[0]["tie"] and len(ranks[0]["tied_with"]) == 1
    en = Words(hebei, "en").sentence(ranks[0])
    zh = Words(hebei, "zh").sentence(ranks[0])
    assert "share 2nd place" in en and "Shijiazhuang" in en and "Langfang" in en, en
    assert "并列第 2 位" in zh and "石家庄" in zh and "廊坊" in zh, zh


def test_a_figure_marked_not_comparable_is_never_a_key_finding(tmp_path):
    data = dataset(
        tmp_path,
        [
            {
                "region": "CN-HE",
                "metric": "fund_size",
                "category": "fund",
                "instrument": "ai_industry_fund",
                "status": "policy",
                "year": "",
                "year_basis": "",
                "value_reported": "300",
                "unit_reported": "亿元",
                "comparable": "no",
                "note_zh": "含其他产业。",
                "note_en": "Covers other industries too.",
            },
        ],
    )
    hebei = results_of(data, "hebei")
    assert claims_of(hebei, "statement")  # the figure is stated where its remark is printed
    assert not hebei["findings"]


def test_no_ratio_between_rates_on_the_shipped_data(everything):
    for slug, results in everything.items():
        for claim in results["claims"]:
            if claim.get("ratio"):
                assert all(results["measures"][i]["unit"] != "percent" for i in claim["measure_ids"][:2]), (slug, claim["id"])


def test_every_base_unit_prints_as_a_reader_writes_it(everything):
    """No unit id (card_hour, bps) reaches a page: every base unit has a display form."""
    from briefings.format import figure

    for results in everything.values():
        for m in results["measures"].values():
            if m["value"] is None:
                continue
            for lang in ("zh", "en"):
                text = figure(m, lang, style="words")
                assert "_" not in text and not re.search(r"\d{7,}", text.replace(",", "")), (m["measure_id"], lang, text)


SECTIONS_CSV = (
    "section,label_zh,label_en,categories,instrument_kinds\n"
    "compute,算力底座,Computing power,compute infrastructure,\n"
    "funds,资金,Money,fund,fund\n"
    "vouchers,券,Vouchers,voucher subsidy,voucher grant\n"
    "data,数据,Data,data,\n"
    "applications,应用,Applications,model application,\n"
    "industry,产业规模,Industry size,industry,\n"
)


def test_another_topic_names_its_own_sections(tmp_path):
    """data/sections.csv sets the sections' order and headings (another topic, data only)."""
    from briefings.document import render_document

    rows = [
        {"region": "CN-HE", "value_reported": "9"},
        {"region": "CN-HE", "value_reported": "4", "metric": "compute_intelligent"},
        {
            "region": "CN-HE",
            "metric": "fund_size",
            "category": "fund",
            "instrument": "ai_industry_fund",
            "status": "policy",
            "year": "",
            "year_basis": "",
            "value_reported": "30",
            "unit_reported": "亿元",
        },
    ]
    data = dataset(tmp_path, rows)
    (data / "sections.csv").write_text(SECTIONS_CSV, encoding="utf-8")
    hebei = results_of(data, "hebei")
    assert [s["key"] for s in hebei["sections"]][:2] == ["compute", "funds"]
    assert [c["section"] for c in hebei["comparisons"]] == sorted(
        (c["section"] for c in hebei["comparisons"]), key=["compute", "funds"].index
    )
    for lang, first, second in (("zh", "## 算力底座", "## 资金"), ("en", "## Computing power", "## Money")):
        page = render_document(hebei, lang, build_id="test", templates=ROOT / "templates")
        assert first in page and second in page and page.index(first) < page.index(second), lang


def test_a_wrong_sections_file_is_reported_by_file_row_and_column(tmp_path):
    from briefings.errors import DataError
    from briefings.load import load_dataset

    data = dataset(tmp_path, [{"region": "CN-HE"}])
    (data / "sections.csv").write_text(SECTIONS_CSV.replace("data,数据,Data,data,", "data,数据,Data,lottery,"), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_dataset(data)
    text = "\n".join(map(str, caught.value.problems))
    assert "sections.csv, row 5, column categories: unknown category 'lottery'" in text, text
    # a metric whose section the file does not list
    (data / "sections.csv").write_text(SECTIONS_CSV.replace("industry,产业规模,Industry size,industry,\n", ""), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_dataset(data)
    text = "\n".join(map(str, caught.value.problems))
    assert "metrics.csv" in text and "column section: unknown section 'industry'" in text, text

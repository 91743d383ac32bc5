"""``briefings extract``: candidate rows from a source text, and the analyst's --append loop.

Every text here is written for these tests (no source article is copied): one short
sentence per unit, numeral form, qualifier word, range, period, status word and script,
each with the row fields it must give.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from briefings.extract import (
    CANDIDATE_COLUMNS,
    MEASURE_COLUMNS,
    chinese_number,
    extract,
    lexicon_from_dataset,
)
from briefings.load import load_dataset
from briefings.sources import normalize_text, number_in_text

from .conftest import DATA, read_rows, run, write_rows

MINI = Path(__file__).parent / "fixtures" / "mini"
SOURCE = "test-source"  # not a source of the data: nothing here repeats a real row


@pytest.fixture(scope="module")
def lex():
    return lexicon_from_dataset(load_dataset(DATA))


def rows_of(text: str, lex, date: str | None = "2025") -> list[dict[str, str]]:
    _, candidates = extract(text, lex, SOURCE, date)
    for c in candidates:  # every candidate's evidence holds its number, verbatim from the text
        assert number_in_text(c.row["value_reported"], c.row["unit_reported"], normalize_text(c.row["evidence"])), c.row
        assert c.row["evidence"] in "\n".join(normalize_text(line) for line in text.splitlines()), c.row
    return [c.row for c in candidates]


def only(text: str, lex, date: str | None = "2025") -> dict[str, str]:
    rows = rows_of(text, lex, date)
    assert len(rows) == 1, [(r["value_reported"], r["unit_reported"], r["evidence"]) for r in rows]
    return rows[0]


def has(row: dict[str, str], **expected: str) -> None:
    got = {k: row[k] for k in expected}
    assert got == expected, f"{got} != {expected} (why: {row['why']})"


# --- units -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("河南设立总规模30亿元的人工智能产业基金。", "30", "亿元"),
        ("对每家企业给予最高5000元补贴。", "5000", "元"),
        ("对通过备案的企业给予一次性100万元奖励。", "100", "万元"),
        ("全省数字经济规模突破万亿元。", "1", "万亿元"),
        ("全省统筹安排专项资金3亿支持人工智能企业。", "3", "亿"),
        ("市财政每年安排资金5千万支持算力券发放。", "5", "千万"),
        ("按不超过合同金额的30%给予算力券补贴。", "30", "%"),
        ("全省人工智能企业营收占全国六成。", "6", "成"),
        ("全省智能算力达到8000P。", "8000", "P"),
        ("全省算力规模达到500PFLOPS。", "500", "PFLOPS"),
        ("建设20E级智能算力集群。", "20", "E"),
        ("全省算力规模达到35EFLOPS。", "35", "EFLOPS"),
        ("全省算力规模达到18EFlops。", "18", "EFlops"),
        ("建设2万卡智算集群。", "2", "万卡"),
        ("全省部署智算芯片3000张。", "3000", "张"),
        ("全省培育人工智能企业200家。", "200", "家"),
        ("全省打造人工智能应用场景50个。", "50", "个"),
        ("全省出台人工智能支持政策12项。", "12", "项"),
        ("全省组建人工智能产业基金3支。", "3", "支"),
        ("全省推动人工智能项目落户20宗。", "20", "宗"),
        ("全省汇聚高质量数据集500TB。", "500", "TB"),
        ("集群内网络时延小于2ms。", "2", "ms"),
        ("数据中心平均机架设计功率不高于8kW。", "8", "kW"),
        ("新建数据中心PUE不高于1.25。", "1.25", "PUE"),
        ("全省算力规模居全国第8位。", "8", "位"),
        ("全省建成5G基站12.5万个。", "12.5", "万个"),
        ("全省部署算力芯片20万张。", "20", "万张"),
    ],
)
def test_each_unit(lex, text, value, unit):
    has(only(text, lex), value_reported=value, unit_reported=unit)


def test_a_unit_not_in_units_csv_is_said_so(lex):
    row = only("对每家企业给予最高5000元补贴。", lex)
    assert "元 not in units.csv" in row["why"]
    assert "亿元 not in units.csv" not in only("设立总规模30亿元的人工智能产业基金。", lex)["why"]


def test_words_that_only_look_like_units_are_not_figures(lex):
    text = "全省支持企业发展5G网络，实现增长0.9个百分点，完成1—4月经济数据发布，给予支持。"
    assert rows_of(text, lex) == []


# --- numerals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numeral", "number"),
    [
        ("二十", 20),
        ("十", 10),
        ("百", 100),
        ("三千五百", 3500),
        ("六", 6),
        ("两百", 200),
        ("一百零五", 105),
        ("二〇二四", 2024),
        ("天", None),
    ],
)
def test_chinese_numerals(numeral, number):
    assert chinese_number(numeral) == number


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        (
            "全省形成二十个行业大模型。",
            {"value_reported": "20", "unit_reported": "个", "qualifier": "eq", "metric": "vertical_model_count"},
        ),
        (
            "构建人工智能百亿基金投资生态。",
            {
                "value_reported": "100",
                "unit_reported": "亿",
                "qualifier": "approx",
                "qualifier_word": "百亿",
                "metric": "fund_ecosystem_size",
            },
        ),
        ("人工智能产业规模占全国六成。", {"value_reported": "6", "unit_reported": "成", "qualifier": "eq"}),
        ("园区可容纳服务器1.5万台。", {"value_reported": "1.5", "unit_reported": "万台", "metric": "site_server_capacity"}),
        (
            "全省出台30余项人工智能支持政策。",
            {"value_reported": "30", "unit_reported": "项", "qualifier": "min", "qualifier_word": "余"},
        ),
        (
            "全省已建算力中心100多个。",
            {"value_reported": "100", "unit_reported": "个", "qualifier": "min", "qualifier_word": "多"},
        ),
        (
            "全省智能算力达到１２０００P。",
            {"value_reported": "12000", "unit_reported": "P", "evidence": "全省智能算力达到12000P"},
        ),
        ("全省智能算力达到12,000P。", {"value_reported": "12000", "unit_reported": "P"}),
        (
            "该市大模型产品占全国近一半。",
            {"value_reported": "1", "unit_reported": "半", "qualifier": "approx", "qualifier_word": "近"},
        ),
        (
            "该市数据中心过半实现绿色运行。",
            {"value_reported": "1", "unit_reported": "半", "qualifier": "min", "qualifier_word": "过"},
        ),
    ],
)
def test_numeral_forms(lex, text, fields):
    has(only(text, lex), **fields)


# --- ranges --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("到2026年，形成2—3个基础大模型。", "2-3", "个"),
        ("算力券按20%—50%的比例给予补贴。", "20-50", "%"),
        ("设立1至2亿元人工智能产业基金。", "1-2", "亿元"),
        ("形成5~8个垂直领域行业模型。", "5-8", "个"),
    ],
)
def test_ranges(lex, text, value, unit):
    has(only(text, lex), value_reported=value, unit_reported=unit, qualifier="range", qualifier_word="")


# --- qualifier words -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "qualifier"),
    [
        ("最高", "max"),
        ("不超过", "max"),
        ("不超", "max"),
        ("不高于", "max"),
        ("小于", "max"),
        ("不到", "max"),
        ("低于", "max"),
        ("超过", "min"),
        ("超", "min"),
        ("突破", "min"),
        ("不少于", "min"),
        ("不低于", "min"),
        ("约", "approx"),
        ("近", "approx"),
    ],
)
def test_qualifier_words_before_the_number(lex, word, qualifier):
    row = only(f"全省人工智能核心产业规模{word}300亿元。", lex)
    has(row, value_reported="300", qualifier=qualifier, qualifier_word=word, metric="industry_scale_ai_core")
    assert word in row["evidence"]


@pytest.mark.parametrize(("word", "qualifier"), [("以上", "min"), ("左右", "approx"), ("以下", "max"), ("以内", "max")])
def test_qualifier_words_after_the_number(lex, word, qualifier):
    has(only(f"全省培育人工智能企业500家{word}。", lex), value_reported="500", qualifier=qualifier, qualifier_word=word)


def test_a_qualifier_further_on_in_the_clause(lex):
    row = only("深圳对企业按不超过服务合同金额的40%给予训力券支持。", lex)
    has(
        row,
        value_reported="40",
        qualifier="max",
        qualifier_word="不超过",
        metric="subsidy_rate",
        instrument="training_voucher",
        category="voucher",
    )


def test_a_plain_figure_is_eq(lex):
    has(only("全省智能算力达到8000P。", lex), qualifier="eq", qualifier_word="")


# --- periods -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "period", "metric"),
    [
        ("广州每年发放最高1亿元算力券。", "per_year", "pool_per_year"),
        ("对通过模型备案的企业给予一次性50万元奖励。", "one_time", "grant_per_recipient"),
        ("郑州数据交易中心累计交易额超30亿元。", "total", "data_trade_volume"),
        ("全省人工智能产业规模年均增长15%。", "per_year", "ai_industry_growth_rate"),
        ("东莞设立最高3000万元算力券。", "total", "pool_total"),
        ("对通过模型备案的企业给予100万元一次性奖励。", "one_time", "grant_per_recipient"),
        ("每家企业每年累计可领取最高500万元算力券。", "per_year", "cap_per_recipient"),
    ],
)
def test_periods(lex, text, period, metric):
    has(only(text, lex), period=period, metric=metric)


def test_a_period_word_the_metric_forbids_is_dropped(lex):
    row = only("全省累计建成智算中心6个。", lex)
    has(row, period="", metric="intelligent_computing_centre_count")
    assert "累计 ignored" in row["why"]


# --- years ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "date", "year", "basis"),
    [
        ("到2027年，全省智能算力达到10EFLOPS。", "2025", "2027", "stated"),
        ("2024年全省算力规模达到20EFLOPS。", "2025", "2024", "stated"),
        ("到2026年，河北推进算力建设。全省智能算力达到9EFLOPS。", "2025", "2026", "stated"),
        ("全省智能算力达到9EFLOPS。", "2025-07-29", "2025", "document"),
        ("全省智能算力达到9EFLOPS。", None, "", "document"),
        ("今年全省智能算力达到9EFLOPS。", "2025", "2025", "stated"),
        ("去年全省智能算力达到9EFLOPS。", "2025", "2024", "stated"),
    ],
)
def test_years_stated_or_from_the_document(lex, text, date, year, basis):
    has(only(text, lex, date), year=year, year_basis=basis)


def test_the_document_date_defaults_to_a_date_printed_in_the_text(lex):
    text = "某省算力措施\n发布时间：2024-11-05\n全省智能算力达到9EFLOPS。"
    has(only(text, lex, None), year="2024", year_basis="document")


# --- status --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("力争全省智能算力达到5000P。", "target"),
        ("全省目标为智能算力规模5000P。", "target"),
        ("全省智能算力达到5000P。", "target"),
        ("湖北设立总规模20亿元的人工智能产业基金。", "policy"),
        ("对模型备案企业给予100万元奖励。", "policy"),
        ("长沙发放最高1亿元算力券。", "policy"),
        ("全省已建成智算中心3个。", "baseline"),
        ("全省建成5G基站10万个。", "baseline"),
        ("截至2024年底，全省算力规模为12EFLOPS。", "baseline"),
        ("预计今年全省算力规模突破30EFLOPS。", "projection"),
        ("有代表建议设立规模100亿元的人工智能产业基金。", "proposal"),
    ],
)
def test_status_from_the_wording(lex, text, status):
    has(only(text, lex), status=status)


# --- region, city, instrument, metric, evidence --------------------------------------------


def test_a_city_is_the_locality_of_its_province(lex):
    has(
        only("深圳市每年发放最高5亿元训力券。", lex),
        region="CN-GD",
        locality="440300",
        instrument="training_voucher",
        metric="pool_per_year",
        category="voucher",
        comparable="yes",
    )


def test_short_and_full_names_and_the_document_place(lex):
    text = "河北省印发算力布局意见\n河北省提出多项举措。\n全省推进数据中心建设，边缘数据中心上架率不低于70%。"
    has(only(text, lex), region="CN-HE", locality="", metric="edge_centre_rack_utilisation", qualifier="min")
    has(only("河南全省智能算力达到8000P。", lex), region="CN-HA")


def test_the_subject_comes_first(lex):
    row = only("深圳训力券的规模比东莞大，每年发放最高5亿元训力券。", lex)
    has(row, locality="440300")


def test_the_country(lex):
    has(
        only("我国智算中心平均算力使用率不到30%。", lex),
        region="CN",
        locality="",
        metric="compute_utilisation",
        qualifier="max",
        qualifier_word="不到",
    )


def test_a_joint_figure_gives_one_candidate_per_region(lex):
    rows = rows_of("北京、上海凭借企业集聚，人工智能产业规模合计独占全国五成。", lex)
    assert {(r["region"], r["joint_with"]) for r in rows} == {("CN-BJ", "CN-SH"), ("CN-SH", "CN-BJ")}
    assert all(r["comparable"] == "no" and r["value_reported"] == "5" and r["unit_reported"] == "成" for r in rows)


def test_examples_are_not_a_joint_figure(lex):
    row = only("河北提出，天津等重点地区的网络时延小于3ms。", lex)
    has(row, joint_with="")


def test_the_shortest_clause_is_the_evidence(lex):
    row = only("河南省发布措施，设立总规模30亿元的人工智能产业基金，支持企业发展。", lex)
    has(row, evidence="设立总规模30亿元的人工智能产业基金")


def test_a_list_of_figures_gives_each_its_own_phrase(lex):
    rows = rows_of("重庆已投产2个超大型数据中心、11个大型数据中心和40个边缘数据中心。", lex)
    assert [(r["value_reported"], r["metric"], r["evidence"]) for r in rows] == [
        ("2", "data_centre_super_large_count", "重庆已投产2个超大型数据中心"),
        ("11", "data_centre_large_count", "11个大型数据中心"),
        ("40", "data_centre_edge_count", "和40个边缘数据中心"),
    ]


def test_an_instrument_of_another_item_in_a_list_is_not_this_ones(lex):
    rows = rows_of("成都推出1亿元算力券、1亿元模型扶持资金。", lex)
    assert [r["instrument"] for r in rows] == ["compute_voucher", "model_support_fund"]


def test_a_policy_named_by_its_title_or_short_title(lex):
    text = (
        "近日，《河南省支持人工智能产业生态发展若干政策措施》（以下简称《河南措施》）印发。\n"
        "《河南措施》提出，设立总规模40亿元的人工智能产业基金。"
    )
    has(only(text, lex), policy="henan-2025-ai-ecosystem")


def test_traditional_chinese_with_pinyin_noise(lex):
    text = "到2025年，全省算力規模達到35EFlops以上，智能算力佔比達到35%左右。深圳每年發(fā)放最高1億元算力券。"
    rows = rows_of(text, lex)
    assert [(r["value_reported"], r["unit_reported"], r["qualifier"], r["qualifier_word"], r["metric"]) for r in rows] == [
        ("35", "EFlops", "min", "以上", "compute_total"),
        ("35", "%", "approx", "左右", "intelligent_compute_share"),
        ("1", "亿元", "max", "最高", "pool_per_year"),
    ]
    assert rows[0]["evidence"] == "全省算力规模达到35EFlops以上"
    assert rows[2]["evidence"] == "深圳每年发放最高1亿元算力券" and rows[2]["locality"] == "440300"


def test_a_paragraph_about_something_else_has_a_low_confidence(lex):
    row = only("全省社会消费品零售总额同比增长5.9%。", lex)
    assert float(row["confidence"]) <= 0.1 and "off topic" in row["why"]
    assert float(only("全省智能算力达到8000P。", lex)["confidence"]) >= 0.5


def test_a_candidate_has_the_measure_columns_then_confidence_and_why():
    assert CANDIDATE_COLUMNS[: len(MEASURE_COLUMNS)] == MEASURE_COLUMNS
    assert CANDIDATE_COLUMNS[len(MEASURE_COLUMNS) :] == ("confidence", "why", "duplicate_of", "confirmed")
    assert MEASURE_COLUMNS == (
        "measure_id",
        "region",
        "locality",
        "joint_with",
        "policy",
        "category",
        "instrument",
        "metric",
        "value_reported",
        "unit_reported",
        "qualifier",
        "qualifier_word",
        "period",
        "year",
        "year_basis",
        "status",
        "comparable",
        "source_id",
        "evidence",
        "summary_zh",
        "summary_en",
        "note_zh",
        "note_en",
        "curator_note",
    )


# --- keywords as data ----------------------------------------------------------------------


def test_every_metric_and_instrument_has_keywords_in_both_languages():
    ds = load_dataset(DATA)
    for table, key in ((ds.metrics, "metric"), (ds.instruments, "instrument")):
        for _, r in table.iterrows():
            assert r["keywords_zh"] and r["keywords_en"], r[key]


def test_a_malformed_keyword_list_is_a_clear_error(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(MINI, data)
    rows = read_rows(data / "metrics.csv")
    col = rows[0].index("keywords_zh")
    rows[2][col] = "基金;;规模"
    write_rows(data / "metrics.csv", rows)
    result = run("validate", "--data", data)
    assert result.exit_code == 2
    assert "metrics.csv, row 3, column keywords_zh" in result.output and "Traceback" not in result.output


def test_keyword_columns_may_be_absent(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(MINI, data)
    for name in ("metrics.csv", "instruments.csv"):
        rows = read_rows(data / name)
        keep = [i for i, c in enumerate(rows[0]) if not c.startswith("keywords_")]
        write_rows(data / name, [[r[i] for i in keep] for r in rows])
    assert run("validate", "--data", data).exit_code == 0


def test_verify_sources_folds_full_width_digits():
    assert normalize_text("智能算力达到１２０００Ｐ，占比３５．５％") == "智能算力达到12000P，占比35.5%"


# --- the command and the analyst's loop ---------------------------------------------------

TEXT = (
    "河南省出台人工智能措施\n"
    "河南省近日印发新一轮措施。到2026年，河南设立总规模50亿元的人工智能产业基金，每年发放最高2亿元训力券。\n"
    "预计2025年底全省算力规模突破94EFlops。\n"
)


@pytest.fixture
def mini(tmp_path: Path) -> tuple[Path, Path]:
    """(a writable copy of the mini dataset, a source text written for the test)."""
    data = tmp_path / "data"
    shutil.copytree(MINI, data)
    text = tmp_path / "text.txt"
    text.write_text(TEXT, encoding="utf-8")
    return data, text


def candidates(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def save(path: Path, rows: list[dict[str, str]]) -> None:
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def confirm(rows: list[dict[str, str]], *values: str) -> None:
    for r in rows:
        if r["value_reported"] in values:
            r.update(confirmed="yes", summary_zh="河南的测试摘要。", summary_en="A test summary for Henan.")


def test_extract_writes_candidates_not_data(mini, tmp_path):
    data, text = mini
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    out = tmp_path / "candidates.csv"
    result = run("extract", text, "--source-id", "fixture", "--data", data, "--out", out)
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").split("\n", 1)[0] == ",".join(CANDIDATE_COLUMNS)
    rows = candidates(out)
    assert [(r["value_reported"], r["unit_reported"], r["metric"]) for r in rows] == [
        ("50", "亿元", "fund_size"),
        ("2", "亿元", "pool_per_year"),
        ("94", "EFlops", "compute_total"),
    ]
    # the mini data has 最高2亿元 (hubei-002) and 预计突破94EFlops (henan-004) from this source
    assert [r["duplicate_of"] for r in rows] == ["", "hubei-002", "henan-004"]
    assert {p.name: p.read_bytes() for p in data.iterdir()} == before
    stdout = run("extract", text, "--source-id", "fixture", "--data", data)
    assert stdout.exit_code == 0 and stdout.stdout.startswith("measure_id,region")


def test_candidates_never_go_into_the_data_folder(mini):
    data, text = mini
    result = run("extract", text, "--source-id", "fixture", "--data", data, "--out", data / "candidates.csv")
    assert result.exit_code == 2 and "inside the data folder" in result.output
    assert not (data / "candidates.csv").exists()


def test_the_append_loop(mini, tmp_path):
    data, text = mini
    out = tmp_path / "candidates.csv"
    assert run("extract", text, "--source-id", "fixture", "--data", data, "--out", out).exit_code == 0
    rows = candidates(out)
    confirm(rows, "50", "2")  # the 2亿元 candidate repeats hubei-002: skipped, not added again
    save(out, rows)
    measures_before = (data / "measures.csv").read_text(encoding="utf-8")

    result = run("extract", text, "--source-id", "fixture", "--data", data, "--out", out, "--append")
    assert result.exit_code == 0, result.output
    assert "henan-007 (row 2)" in result.output and "row 3: repeats hubei-002" in result.output
    after = (data / "measures.csv").read_text(encoding="utf-8")
    assert after.startswith(measures_before)
    table = {r["measure_id"]: r for r in csv.DictReader(io.StringIO(after))}
    new = table["henan-007"]
    assert (
        new["region"],
        new["metric"],
        new["value_reported"],
        new["unit_reported"],
        new["year"],
        new["status"],
        new["evidence"],
    ) == ("CN-HA", "fund_size", "50", "亿元", "2026", "policy", "河南设立总规模50亿元的人工智能产业基金")
    assert run("validate", "--data", data).exit_code == 0

    # again: nothing new is added, and a fresh extraction marks every figure as a duplicate
    again = run("extract", text, "--source-id", "fixture", "--data", data, "--out", out, "--append")
    assert again.exit_code == 0 and "nothing appended" in again.output
    assert (data / "measures.csv").read_text(encoding="utf-8") == after
    fresh = tmp_path / "fresh.csv"
    assert run("extract", text, "--source-id", "fixture", "--data", data, "--out", fresh).exit_code == 0
    assert [r["duplicate_of"] for r in candidates(fresh)] == ["henan-007", "hubei-002", "henan-004"]


def test_a_failed_validation_changes_nothing(mini, tmp_path):
    data, text = mini
    out = tmp_path / "candidates.csv"
    assert run("extract", text, "--source-id", "fixture", "--data", data, "--out", out).exit_code == 0
    rows = candidates(out)
    confirm(rows, "50")
    rows[0]["metric"] = "no_such_metric"
    save(out, rows)
    before = (data / "measures.csv").read_bytes()
    result = run("extract", text, "--source-id", "fixture", "--data", data, "--out", out, "--append")
    assert result.exit_code == 2
    assert "candidates.csv, row 2, column metric: unknown metric 'no_such_metric'" in result.output
    assert "Traceback" not in result.output
    assert (data / "measures.csv").read_bytes() == before


def test_a_reviewed_file_is_not_overwritten(mini, tmp_path):
    data, text = mini
    out = tmp_path / "candidates.csv"
    assert run("extract", text, "--source-id", "fixture", "--data", data, "--out", out).exit_code == 0
    rows = candidates(out)
    confirm(rows, "50")
    save(out, rows)
    reviewed = out.read_bytes()
    result = run("extract", text, "--source-id", "fixture", "--data", data, "--out", out)
    assert result.exit_code == 2 and "already has confirmed candidates" in result.output
    assert out.read_bytes() == reviewed
    assert run("extract", text, "--source-id", "fixture", "--data", data, "--out", out, "--force").exit_code == 0


def _edit(rows, **changes):
    rows[0].update(changes)
    return rows


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda rows: _edit(rows, confirmed="maybe"), "row 2, column confirmed: must be yes, no or blank"),
        (
            lambda rows: _edit(
                rows,
                confirmed="yes",
                summary_zh="摘要。",
                summary_en="Summary.",
                evidence="河南设立总规模51亿元的人工智能产业基金",
                value_reported="51",
            ),
            "row 2, column evidence: not found in the source text",
        ),
        (
            lambda rows: _edit(rows, confirmed="yes", summary_zh="摘要。", summary_en="Summary.", value_reported="55"),
            "row 2, column value_reported: number 55 is not in its evidence clause",
        ),
        (
            lambda rows: _edit(rows, confirmed="yes", summary_zh="", summary_en="Summary."),
            "row 2, column summary_zh: a value is required here",
        ),
        (
            lambda rows: _edit(rows, confirmed="yes", summary_zh="摘要。", summary_en="Summary.", source_id="other"),
            "row 2, column source_id",
        ),
    ],
)
def test_bad_candidates_are_clear_errors(mini, tmp_path, change, where):
    data, text = mini
    out = tmp_path / "candidates.csv"
    assert run("extract", text, "--source-id", "fixture", "--data", data, "--out", out).exit_code == 0
    save(out, change(candidates(out)))
    before = (data / "measures.csv").read_bytes()
    result = run("extract", text, "--source-id", "fixture", "--data", data, "--out", out, "--append")
    assert result.exit_code == 2, result.output
    assert f"candidates.csv, {where}" in result.output and "Traceback" not in result.output
    assert (data / "measures.csv").read_bytes() == before


def test_a_candidates_file_with_a_missing_column(mini, tmp_path):
    data, text = mini
    out = tmp_path / "candidates.csv"
    out.write_text("region,metric,confirmed\nCN-HA,fund_size,yes\n", encoding="utf-8")
    result = run("extract", text, "--source-id", "fixture", "--data", data, "--out", out, "--append")
    assert result.exit_code == 2 and "candidates.csv, row 1, column evidence: required column is missing" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "source text not found"),
        (b"", "the source text is empty"),
        ("河南设立基金".encode("gb18030"), "not valid UTF-8 at byte 0 (it looks like GBK"),
        (b"\x89PNG\x00\x00", "binary data (NUL byte)"),
    ],
)
def test_bad_source_texts(mini, tmp_path, content, message):
    data, _ = mini
    text = tmp_path / "bad.txt"
    if content is not None:
        text.write_bytes(content)
    result = run("extract", text, "--source-id", "fixture", "--data", data)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--append"], "--append reads the reviewed candidates: give them with --out FILE"),
        (["--out", "missing.csv", "--append"], "no candidates file to append from"),
        (["--date", "2025-13"], "is not a date"),
    ],
)
def test_bad_arguments(mini, tmp_path, monkeypatch, args, message):
    data, text = mini
    monkeypatch.chdir(tmp_path)
    result = run("extract", text, "--source-id", "fixture", "--data", data, *args)
    assert result.exit_code == 2 and message in result.output


def test_the_readme_loop_runs_in_a_new_project_and_never_overwrites_its_source(tmp_path):
    """README's step 1 (no --data: the project's data folder) in a project made by init; an
    --out that is the text being read is refused and the text stays as it was."""
    import subprocess
    import sys

    project = tmp_path / "project"
    assert subprocess.run([sys.executable, "-m", "briefings", "init", str(project)], capture_output=True).returncode == 0
    text = next((project / "sources").glob("*.txt"))
    before = text.read_bytes()
    source_id = (project / "data" / "sources.csv").read_text(encoding="utf-8").split("\n")[1].split(",")[0]

    def extract(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "briefings", "extract", str(text.relative_to(project)), "--source-id", source_id, *args]
        return subprocess.run(command, capture_output=True, text=True, cwd=project)

    step1 = extract("--out", "work.csv")
    assert step1.returncode == 0 and "Traceback" not in step1.stderr, step1.stderr
    assert "confirmed" in (project / "work.csv").read_text(encoding="utf-8").split("\n")[0]
    onto_source = extract("--out", str(text.relative_to(project)))
    assert onto_source.returncode == 2 and "source text being read" in onto_source.stderr, onto_source.stderr
    assert text.read_bytes() == before

"""Source dates of different precision, compared as the intervals they allow."""

import pytest

from briefings.dates import display, latest, parse, timestamp


def test_data_as_of_compares_precisions_correctly():
    # a string max would put 2025-03-17 after 2025 and after 2025-H2
    assert latest(["2025", "2025-03-17", "2024-Q2"]) == "2025"
    assert latest(["2025-H2", "2025-03-17", "2025-07"]) == "2025-H2"
    assert latest(["2025-07", "2025-03-17"]) == "2025-07"
    assert latest(["2024", "2024-Q1", "2025-03-17"]) == "2025-03-17"
    assert latest(["2025-12-31", "2025"]) == "2025-12-31"  # same end: the more precise date is the later one


@pytest.mark.parametrize(
    "text, zh, en",
    [
        ("2025", "2025 年", "2025"),
        ("2025-H2", "2025 年下半年", "second half of 2025"),
        ("2024-Q1", "2024 年第一季度", "first quarter of 2024"),
        ("2025-07", "2025 年 7 月", "July 2025"),
        ("2025-03-17", "2025 年 3 月 17 日", "17 March 2025"),
    ],
)
def test_dates_read_as_a_reader_writes_them(text, zh, en):
    assert display(text, "zh") == zh and display(text, "en") == en


@pytest.mark.parametrize("bad", ["2025-13-45", "2025-02-30", "2025-13", "2025-H3", "2025-Q5", "17/03/2025", "", "25"])
def test_impossible_or_malformed_dates_are_errors(bad):
    with pytest.raises(ValueError):
        parse(bad)


def test_the_pdf_timestamp_is_the_first_day_of_the_date():
    assert timestamp("2025-H2").isoformat() == "2025-07-01T00:00:00+00:00"


def test_the_dataset_records_article_000_as_second_half_of_2025():
    from briefings.load import load_dataset

    from .conftest import DATA

    sources = load_dataset(DATA).sources.set_index("source_id")
    assert sources.at["nbd-2025-henan", "date"] == "2025-H2"
    assert sources.at["nbd-2025-henan", "title_kind"] == "descriptive"
    assert (
        latest([sources.at[s, "date"] for s in sources.index if s.startswith(("nbd-", "dahe-", "cena-", "newsweek-"))])
        == "2025-H2"
    )

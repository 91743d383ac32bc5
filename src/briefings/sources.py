"""Check every evidence clause against the source articles (``briefings verify-sources``).

Both sides are normalized the way the seeds README describes: pinyin in parentheses
dropped, Traditional converted to Simplified with OpenCC, whitespace folded, 「」 as “”;
and full-width digits, Latin letters and number signs (１２％, ＰＵＥ) as their ASCII
forms (Unicode NFKC, one character for one). Then the evidence must occur in the
article, and the reported number in the evidence.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import opencc

from .load import Dataset

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)

# A pinyin syllable group such as (fā) or (shù) or (jīng); ASCII-only groups such as
# (2024—2026年) or (郑州) are left alone.
_PINYIN = re.compile(r"\((?=[a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ])[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")
_SPACE = re.compile(r"\s+")
_DIGITS = "零一二三四五六七八九"
#: Full-width forms folded to ASCII: digits, Latin letters and the signs a number is
#: written with (％ ． ＋ － ～ ／). Chinese punctuation (，。：；（）“”) stays as written.
_WIDE = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff05\uff0e\uff0b\uff0d\uff5e\uff0f]")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def fold_width(text: str) -> str:
    """Full-width digits, letters and number signs as ASCII (１２．５％ -> 12.5%); same length."""
    return _WIDE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


def normalize_text(text: str) -> str:
    """Normalize source text or evidence for matching."""
    text = _PINYIN.sub("", fold_width(text))
    text = _t2s().convert(text)
    text = text.replace("「", "“").replace("」", "”")
    return _SPACE.sub(" ", text).strip()


def _chinese_numeral(n: int) -> list[str]:
    """Chinese spellings of a whole number below 100000: 100 -> [一百, 百]."""
    if not 0 < n < 100000:
        return []
    parts: list[str]
    parts, zero = [], False
    for value, name in ((10000, "万"), (1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, value)
        if digit:
            if zero and parts:
                parts.append("零")
            parts.append(_DIGITS[digit] + name)
            zero = False
        elif parts:
            zero = True
    full = "".join(parts)
    forms = [full]
    if full.startswith("一") and len(full) > 1 and full[1] in "十百千万":
        forms.append(full[1:])
    if full.startswith("二") and len(full) > 1 and full[1] in "百千万":
        forms.append("两" + full[1:])
    return forms


def number_forms(value_reported: str, unit_reported: str) -> list[str]:
    """Ways the source may write a reported value: 12000, 12,000, 一百, 2—3 ..."""
    if "-" in value_reported:
        low, high = value_reported.split("-")
        # 2—3, and with the unit at both ends: 20%—50%
        return [
            f"{low}{unit}{sep}{high}"
            for unit in dict.fromkeys(("", unit_reported))
            for sep in ("-", "—", "–", "~", "～", "至", "到")
        ]
    forms = [value_reported]
    if "." not in value_reported:
        n = int(value_reported)
        forms.append(f"{n:,}")
        forms.extend(_chinese_numeral(n))
        if n == 1 and unit_reported:
            forms.append(unit_reported)  # 突破万亿元: the 1 is implicit
    return forms


def number_in_text(value_reported: str, unit_reported: str, text: str) -> bool:
    for form in number_forms(value_reported, unit_reported):
        if form[0].isdigit():
            # not part of a longer number: 30 must not match inside 300 or 1.30
            if re.search(rf"(?<![\d.,]){re.escape(form)}(?![\d,]|\.\d)", text):
                return True
        elif form in text:
            return True
    return False


@dataclass
class SourceReport:
    source_id: str
    file: str
    rows: int = 0
    found: bool = True
    misses: list[str] = field(default_factory=list)
    #: the text's sha256 differs from the one recorded in sources.csv (another copy than the one checked)
    other_copy: bool = False

    @property
    def ok(self) -> bool:
        return not self.misses


def _find_source_file(folder: Path, source_id: str, file: str) -> Path | None:
    """The source's text in ``folder``: its ``file`` (a plain name, checked by the schema), else a
    file named after the source id; only a regular file that lies inside the folder (a
    symbolic link out of it is not followed)."""
    root = folder.resolve()
    candidates = [folder / file] if file else []
    candidates += sorted(folder.glob(f"{source_id}*")) + sorted(folder.glob(f"*{source_id}*"))
    for path in candidates:
        try:
            inside = path.resolve().is_relative_to(root) and path.resolve().parent == root
        except OSError:
            continue
        if inside and path.is_file():
            return path
    return None


def verify_sources(ds: Dataset, folders: Path | list[Path]) -> list[SourceReport]:
    """One report per source; a report lists each measure whose evidence or number is not
    found. A source's text is looked up in each folder in turn."""
    folders = [folders] if isinstance(folders, Path) else list(folders)
    reports = []
    for _, src in ds.sources.iterrows():
        report = SourceReport(src["source_id"], src["file"])
        rows = ds.measures[ds.measures["source_id"] == src["source_id"]]
        report.rows = len(rows)
        path = next((p for f in folders if (p := _find_source_file(f, src["source_id"], src["file"]))), None)
        if path is None:
            report.found = False  # reported as not checked; the other sources are still verified
            reports.append(report)
            continue
        raw = path.read_bytes()
        recorded = src.get("sha256", "") if hasattr(src, "get") else ""
        report.other_copy = bool(recorded) and hashlib.sha256(raw).hexdigest() != recorded
        article = normalize_text(raw.decode("utf-8", errors="replace"))
        for _, m in rows.iterrows():
            evidence = normalize_text(m["evidence"])
            if evidence not in article:
                report.misses.append(f"{m['measure_id']}: evidence not found in the source: {m['evidence']}")
            elif m["value_reported"] and not number_in_text(m["value_reported"], m["unit_reported"], evidence):
                report.misses.append(f"{m['measure_id']}: number {m['value_reported']} not in its evidence: {m['evidence']}")
        reports.append(report)
    return reports

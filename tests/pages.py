"""Reading rendered HTML pages as a reader would: text runs with the language they are marked in."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
#: two or more Latin words in a row: an English phrase, not a unit (EFLOPS) or a name (DeepSeek)
ENGLISH_PHRASE = re.compile(r"[A-Za-z][A-Za-z'’.-]*(?:\s+[A-Za-z][A-Za-z'’.-]*)+")
VOID = {"meta", "link", "br", "img", "hr", "input", "source", "wbr", "col", "area", "base", "embed", "param", "track"}


class Runs(HTMLParser):
    """Every text run of a page with the language of its nearest marked ancestor, its classes,
    and whether it lies inside an element of class ``verbatim`` (a quoted source clause)."""

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, str | None, bool, bool]] = []
        self.runs: list[tuple[str, str, bool, bool]] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        attrs = dict(attrs)
        parent_lang = self.stack[-1][1] if self.stack else None
        lang = attrs.get("lang") or parent_lang
        classes = (attrs.get("class") or "").split()
        # a quoted clause, a headline as printed, an address: the source's own spelling and spacing
        verbatim = bool({"verbatim", "as-printed", "uri"} & set(classes)) or (self.stack[-1][2] if self.stack else False)
        code = tag in ("code", "script", "style", "title") or (self.stack[-1][3] if self.stack else False)
        self.stack.append((tag, lang, verbatim, code))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if data.strip():
            _, lang, verbatim, code = self.stack[-1] if self.stack else ("", None, False, False)
            self.runs.append((data, lang or "", verbatim, code))


def runs(path: Path) -> list[tuple[str, str, bool, bool]]:
    parser = Runs()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.runs


def unmarked_chinese(path: Path) -> list[str]:
    """Chinese text in an English page outside any element marked zh."""
    return [text for text, lang, _verbatim, code in runs(path) if CJK.search(text) and not lang.startswith("zh") and not code]


def unmarked_english(path: Path) -> list[str]:
    """English phrases in a Chinese page outside any element marked en (quoted clauses excepted)."""
    found = []
    for text, lang, verbatim, code in runs(path):
        if lang.startswith("en") or verbatim or code:
            continue
        found += [m.group(0) for m in ENGLISH_PHRASE.finditer(text)]
    return found

"""Sentence patterns: how an editor states one figure of a kind, in each language.

Patterns are data (``sentence_zh`` / ``sentence_en`` of ``metrics.csv`` and
``instruments.csv``), written per status for a metric and per metric for an instrument:

    target: {who}提出{when}算力规模达到{value} || baseline: {who}{when}算力规模为{value}

Variants are separated by `` || ``; each is ``KEY: pattern`` where KEY is a status (metrics),
a metric id or ``metric/status`` (instruments: ``fund_programme_size/target``), or ``*``
(any). Placeholders: ``{who}`` (required), ``{value}``, ``{period}``, ``{when}``,
``{instrument}``. Square brackets mark an optional part, printed only when every
placeholder in it has a value: ``{who} sets aside {value}[ for the {instrument}]``.
``data/README.md`` documents them; ``load`` checks every pattern parses and that every measure
finds one whose required placeholders it can fill.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)

SEPARATOR = " || "
PLACEHOLDERS = frozenset({"who", "value", "period", "when", "instrument"})
REQUIRED = frozenset({"who"})
_KEY = re.compile(r"^\s*(\*|[a-z][a-z0-9_]*(?:/[a-z]+)?)\s*:\s*(.+?)\s*$", re.S)
_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")


class PatternError(ValueError):
    """A pattern that does not parse; the message says what is wrong."""


@dataclass(frozen=True)
class Patterns:
    """The parsed variants of one cell: key (a status, a metric id or ``*``) -> pattern."""

    variants: dict[str, str]

    def pick(self, key: str) -> str | None:
        return self.variants.get(key) or self.variants.get("*")


def choose(by_instrument: Patterns | None, by_metric: Patterns | None, metric: str, status: str) -> str | None:
    """The pattern a figure is stated with: its instrument's for its metric, else its metric's
    for its status (the same choice for validation and for wording)."""
    chosen = (by_instrument.variants.get(f"{metric}/{status}") or by_instrument.pick(metric)) if by_instrument else None
    return chosen or (by_metric.pick(status) if by_metric else None)


def required(pattern: str) -> set[str]:
    """The placeholders a figure must have a value for: those outside optional ``[...]`` parts."""
    return placeholders(_OPTIONAL.sub("", pattern))


def parse(cell: str) -> Patterns:
    """Parse one cell of patterns; ``PatternError`` for a malformed one. Blank gives none."""
    variants: dict[str, str] = {}
    if not cell.strip():
        return Patterns(variants)
    for part in cell.split(SEPARATOR.strip()):
        m = _KEY.match(part)
        if not m:
            raise PatternError(f"{part.strip()!r} is not `KEY: pattern` (KEY a status, a metric id or *)")
        key, pattern = m.group(1), m.group(2)
        if key in variants:
            raise PatternError(f"the key {key!r} appears twice")
        bare = _OPTIONAL.sub("", pattern)
        if "[" in bare or "]" in bare:
            raise PatternError(f"the {key} pattern has an unbalanced or nested [ ] (optional parts are [...], one level)")
        names = placeholders(pattern)
        unknown = names - PLACEHOLDERS
        if unknown:
            raise PatternError(
                f"unknown placeholder(s) {', '.join(sorted('{' + n + '}' for n in unknown))} in {key}: "
                f"use {', '.join(sorted('{' + n + '}' for n in PLACEHOLDERS))}"
            )
        missing = REQUIRED - required(pattern)
        if missing:
            raise PatternError(f"the {key} pattern needs {', '.join(sorted('{' + n + '}' for n in missing))}")
        if pattern.rstrip().endswith(("。", ".")):
            raise PatternError(f"the {key} pattern ends with a full stop (the sentence adds it)")
        variants[key] = pattern
    return Patterns(variants)


def placeholders(pattern: str) -> set[str]:
    try:
        return {field for _, field, _, _ in string.Formatter().parse(pattern) if field is not None}
    except ValueError as exc:  # an unbalanced brace
        raise PatternError(f"{pattern!r}: {exc}") from None


def fill(pattern: str, values: dict[str, str]) -> str:
    """The pattern with its placeholders replaced (values are already formatted text).

    Only named placeholders are read: a brace in a value is printed as written.
    """
    pattern = _OPTIONAL.sub(lambda g: g.group(1) if all(values.get(n) for n in placeholders(g.group(1))) else "", pattern)
    out = []
    for literal, field, _, _ in string.Formatter().parse(pattern):
        out.append(literal)
        if field is not None:
            out.append(values.get(field, ""))
    text = "".join(out)
    # an empty placeholder leaves a doubled or stray space (English) to fold
    text = re.sub(r" {2,}", " ", text).strip()
    return re.sub(r" ([,.;:)])", r"\1", text)

"""Claims in words: the sentence each claim prints, in each language (plain text; the caller
escapes it for markdown and adds citation marks).

- a statement or reference: its metric's or instrument's sentence pattern (``sentences.py``,
  data in ``metrics.csv`` and ``instruments.csv``), then what the reader must know with it:
  the report that set an undated figure, a target year that has passed, a joint figure;
- a rank or a pair: a frame from the translation catalogs that names the base (how many
  holders, at which level) and uses the figures' own words.

Nothing here decides what may be said: ``claims.py`` did.
"""

from __future__ import annotations

from typing import Any

from . import vocab
from .format import cjk_spacing, figure, holder_name, ordinal, period_words, when_words
from .i18n import gettext_for, label
from .sentences import choose, fill, parse
from .titles import instrument_label, metric_label

#: Chinese qualifier words that read as the verb of a figure (到 2027 年超过 30 EFLOPS): no 为 before them.
_ZH_VERB_QUALIFIERS = (
    "超过",
    "超",
    "突破",
    "逾",
    "不少于",
    "不低于",
    "不超过",
    "不高于",
    "低于",
    "小于",
    "不到",
    "近",
    "约",
    "达到",
)

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)

#: How the report that set a figure is named when the source gives no year for it.
DOCUMENT_KINDS = {
    "work_report": ("政府工作报告", "work report"),
    "plan": ("规划", "plan"),
    "policy": ("政策文件", "policy document"),
    "report": ("报告", "report"),
    "proposal": ("提案", "proposal"),
    "news_report": ("报道", "news report"),
}


class Words:
    """One language's wording of one results document's claims."""

    def __init__(self, results: dict[str, Any], lang: str):
        self.results, self.lang = results, lang
        self._ = gettext_for(lang)
        self.policies = {p["policy_id"]: p for p in results.get("policies", [])}

    # -- pieces
    def who(self, holder: dict[str, Any]) -> str:
        return holder_name(holder, self.lang)

    def value(self, m: dict[str, Any], *, with_when: bool = True) -> str:
        """The figure in words with its period (and its year, when stated)."""
        fig = figure(m, self.lang, style="words")
        period = period_words(m, self.lang)
        when = when_words(m, self.lang) if with_when else ""
        if self.lang == "zh":
            return cjk_spacing(f"{when}{period}{fig}") if (when or period) else fig
        return " ".join(p for p in (fig, period, when) if p)

    def instrument(self, m: dict[str, Any]) -> str:
        return instrument_label(self.results, m["instrument"], self.lang) if m.get("instrument") else ""

    def what(self, metric: str, instruments: list[str]) -> str:
        """What a comparison compares: the metric's label, with the instruments for vouchers."""
        text = metric_label(self.results, metric, self.lang)
        names = [instrument_label(self.results, i, self.lang) for i in sorted(set(instruments)) if i]
        if names and self.results["metrics"][metric]["section"] == "vouchers":
            sep = "、" if self.lang == "zh" else " or "
            if self.lang == "zh":
                text = text[:-1] + f"；{sep.join(names)}）" if text.endswith("）") else text + f"（{sep.join(names)}）"
            else:
                text = text[:-1] + f"; {sep.join(names)})" if text.endswith(")") else text + f" ({sep.join(names)})"
        return text

    def level(self, claim: dict[str, Any]) -> str:
        """The holders a comparison is among: province-level regions, or cities (and districts;
        municipalities included) as the compared holders are."""
        holders = [self.results["measures"][i]["holder"] for i in claim["measure_ids"]]
        if claim["basis"]["level"] == "province":
            return self._("province-level regions")
        districts = any(h.get("level") == "district" for h in holders)
        if any(h.get("is_municipality") for h in holders):
            return (
                self._("cities and districts (municipalities included)")
                if districts
                else self._("cities (municipalities included)")
            )
        return self._("cities and districts") if districts else self._("cities")

    def be(self, m: dict[str, Any]) -> str:
        """The figure as a predicate (Chinese): 为 30 亿元, 到 2027 年超过 30 EFLOPS, 到 2025 年为 3000 亿元;
        the figure itself in English."""
        if self.lang != "zh":
            return self.value(m)
        when = when_words(m, self.lang)
        rest = self.value(m, with_when=False)
        verb = "" if rest.startswith(_ZH_VERB_QUALIFIERS) else "为"
        return cjk_spacing(f"{when}{verb}{rest}")

    def names(self, measure_ids: list[str]) -> str:
        """Holders of the figures, as a list (深圳、东莞 / Shenzhen and Dongguan)."""
        who = [self.who(self.results["measures"][i]["holder"]) for i in measure_ids]
        if self.lang == "zh":
            return "、".join(who)
        return who[0] if len(who) == 1 else ", ".join(who[:-1]) + " and " + who[-1]

    # -- sentences
    def sentence(self, claim: dict[str, Any]) -> str:
        """The claim's sentence, ending with its full stop (plain text)."""
        kind = claim["kind"]
        if kind in ("statement", "reference"):
            text = self.statement(self.results["measures"][claim["measure_ids"][0]])
        elif kind == "rank":
            text = self.rank(claim)
        elif kind == "pair":
            text = self.pair(claim)
        else:
            raise ValueError(f"no wording for a claim of kind {kind!r} ({claim['id']})")
        return self.finish(text)

    def finish(self, text: str) -> str:
        if self.lang == "zh":
            return cjk_spacing(text.rstrip("。")) + "。"
        text = text.rstrip(".")
        return text[:1].upper() + text[1:] + "."

    def pattern(self, m: dict[str, Any]) -> str:
        column = f"sentence_{self.lang}"
        instrument = self.results["instruments"].get(m["instrument"]) if m.get("instrument") else None
        by_instrument = parse(instrument.get(column, "")) if instrument else None
        chosen = choose(by_instrument, parse(self.results["metrics"][m["metric"]].get(column, "")), m["metric"], m["status"])
        if not chosen:
            raise ValueError(f"metric {m['metric']} has no {column} pattern for status {m['status']} ({m['measure_id']})")
        return chosen

    def statement(self, m: dict[str, Any]) -> str:
        """One figure stated by its pattern, with its caveats of time and scope."""
        text = fill(
            self.pattern(m),
            {
                "who": self.who(m["holder"]),
                "value": figure(m, self.lang, style="words"),
                "period": period_words(m, self.lang),
                "when": when_words(m, self.lang),
                "instrument": self.instrument(m),
            },
        )
        return text + self.tail(m)

    def tail(self, m: dict[str, Any]) -> str:
        """What must travel with a figure in a sentence: the report that set an undated figure,
        a target year that has passed, a joint holder."""
        _ = self._
        parts = []
        if m["status"] in ("target", "projection", "baseline") and m.get("year") and m.get("year_basis") == "document":
            doc = self.document_kind(m)
            if doc in ("报道", "news report"):  # a news report sets no target: it reports one
                parts.append(
                    _("as reported in {year}").format(year=m["year"])
                    if m["status"] == "baseline"
                    else _("as reported in {year}, with no target year").format(year=m["year"])
                )
            elif m["status"] == "baseline":
                parts.append(_("as stated in a {year} {document}").format(year=m["year"], document=doc))
            else:
                parts.append(
                    _("a target set in a {year} {document}, which gives no target year").format(year=m["year"], document=doc)
                )
        if (
            m["status"] == "target"
            and m.get("year")
            and m.get("year_basis") in vocab.YEAR_GIVEN
            and m["year"] < int(self.results["data_as_of"][:4])
        ):
            parts.append(_("the target year has passed; the sources do not say whether it was met"))
        joint = m["holder"].get("joint_with") or []
        if joint:
            sep = "、" if self.lang == "zh" else " and "
            parts.append(_("jointly with {others}").format(others=sep.join(self.who(h) for h in joint)))
        if not parts:
            return ""
        return "（" + "；".join(parts) + "）" if self.lang == "zh" else " (" + "; ".join(parts) + ")"

    def document_kind(self, m: dict[str, Any]) -> str:
        """What set an undated figure: its policy's kind (规划, 政府工作报告 ...), else what its
        source is (a news report is 报道, never 文件)."""
        kind = self.policies.get(m.get("policy") or "", {}).get("kind", "")
        if kind not in DOCUMENT_KINDS:
            source: dict[str, Any] = next(
                (s for s in self.results.get("sources", []) if s["source_id"] == m.get("source_id")), {}
            )
            kind = "news_report" if source.get("kind") == "news_report" else ""
        return DOCUMENT_KINDS.get(kind, ("文件", "document"))[0 if self.lang == "zh" else 1]

    def _figures(self, claim: dict[str, Any]) -> list[dict[str, Any]]:
        return [self.results["measures"][i] for i in claim["measure_ids"]]

    def rank(self, claim: dict[str, Any]) -> str:
        _ = self._
        ms = self._figures(claim)
        me = ms[0]
        values = {
            "n": claim["n"],
            "level": self.level(claim),
            "what": self.what(me["metric"], [m.get("instrument", "") for m in ms]),
            "who": self.who(me["holder"]),
            "value": self.value(me),
            "be": self.be(me),
            "rank": str(claim["rank"]) if self.lang == "zh" else ordinal(claim["rank"]),
        }
        tied = claim.get("tied_with") or []
        if claim.get("tie") and tied:
            values["others"] = self.names(tied)
            if claim["rank"] == 1:
                text = _(
                    "{what}: of the {n} {level} with a figure in the sources, {who} and {others} share first place with {value}"
                )
            else:
                leader = self.results["measures"][claim["leader_measure_id"]]
                values.update(leader=self.who(leader["holder"]), leader_value=self.value(leader), leader_be=self.be(leader))
                text = _(
                    "{what}: of the {n} {level} with a figure in the sources, {who} and {others} share {rank} place with {value}; {leader} leads with {leader_value}"
                )
        elif claim["rank"] == 1:
            if claim.get("ratio"):
                other = self.results["measures"][claim["runner_up_measure_id"]]
                values.update(
                    times=times(claim["ratio"], self.lang), other=self.who(other["holder"]), other_value=self.value(other)
                )
                text = _(
                    "{what}: of the {n} {level} with a figure in the sources, {who} ranks first with {value}, {times} {other}'s {other_value}"
                )
            else:
                text = _("{what}: of the {n} {level} with a figure in the sources, {who} ranks first with {value}")
        else:
            leader = self.results["measures"][claim["leader_measure_id"]]
            values.update(leader=self.who(leader["holder"]), leader_value=self.value(leader), leader_be=self.be(leader))
            text = _(
                "{what}: of the {n} {level} with a figure in the sources, {who} ranks {rank} with {value}; {leader} leads with {leader_value}"
            )
        text = text.format(**values)
        if self.results["metrics"][me["metric"]]["lower_is_stronger"]:
            text += _(" (the lower figure is the stricter and ranks first)")
        return text + self.lapsed_tail(ms)

    def pair(self, claim: dict[str, Any]) -> str:
        _ = self._
        a, b = self._figures(claim)[:2]
        values = {
            "level": self.level(claim),
            "what": self.what(a["metric"], [a.get("instrument", ""), b.get("instrument", "")]),
            "who": self.who(a["holder"]),
            "value": self.value(a),
            "be": self.be(a),
            "other": self.who(b["holder"]),
            "other_value": self.value(b),
            "other_be": self.be(b),
        }
        relation = claim["relation"]
        lower_first = self.results["metrics"][a["metric"]]["lower_is_stronger"]
        if relation == "open":
            text = _(
                "{what}: two {level} in the sources give figures, {who} {value} and {other} {other_value}; their qualifiers leave the order open"
            )
        elif relation == "equal":
            text = _("{what}: the two {level} with a figure in the sources, {who} and {other}, both state {value}")
        elif claim.get("ratio"):
            values["times"] = times(claim["ratio"], self.lang)
            higher = (relation == "stronger") != lower_first
            if not higher:  # the subject's is the smaller figure: say how many times the other's is
                swap = {"who": "other", "value": "other_value", "be": "other_be"}
                values.update({k: values[v] for k, v in swap.items()} | {v: values[k] for k, v in swap.items()})
            text = _(
                "{what}: of the two {level} with a figure in the sources, {who}'s, {value}, is {times} {other}'s, {other_value}"
            )
        else:
            higher = (relation == "stronger") != lower_first
            text = (
                _(
                    "{what}: of the two {level} with a figure in the sources, {who}'s, {value}, is higher than {other}'s, {other_value}"
                )
                if higher
                else _(
                    "{what}: of the two {level} with a figure in the sources, {who}'s, {value}, is lower than {other}'s, {other_value}"
                )
            )
        return text.format(**values) + self.lapsed_tail(self._figures(claim))

    def lapsed_tail(self, ms: list[dict[str, Any]]) -> str:
        if any(m["status"] == "target" and m.get("year") and m["year"] < int(self.results["data_as_of"][:4]) for m in ms):
            note = self._("the target year has passed; the sources do not say whether it was met")
            return f"（{note}）" if self.lang == "zh" else f" ({note})"
        return ""


def times(ratio: float, lang: str) -> str:
    """How many times: 3 / 2.5 in Chinese (the frame adds 倍); twice / 2.5 times in English
    (one decimal under ten, whole numbers from ten)."""
    text = f"{ratio:.0f}" if ratio >= 10 else f"{ratio:.1f}".rstrip("0").rstrip(".")
    if lang == "zh":
        return text
    return "twice" if text == "2" else f"{text} times"


def status_label(status: str, lang: str) -> str:
    return label(status, lang)

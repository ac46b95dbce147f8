"""Restoration metrics, computed on the spun text's character offsets.

* coverage — gold substitutions whose original is among the engine's candidates at all;
* exact — gold substitutions restored exactly (same span, same words, case-insensitive; one
  multiword edit may restore a run of neighbouring substitutions, see ``gold_runs``);
* detected — gold substitutions touched by some edit;
* precision — edits that exactly undo a gold substitution / all edits;
* false-edit rate — word tokens the spinner left alone that an edit changed / all such tokens;
* reliability — the edits by their confidence (tenths), and the share of each bin that exactly
  undoes a gold substitution: a calibrated engine's 0.9 edits are right ~90 % of the time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import text
from ..results import Span

CONFIDENCE_BINS = 10


@dataclass
class Counts:
    gold: int = 0
    covered: int = 0
    exact: int = 0
    detected: int = 0
    edits: int = 0
    correct_edits: int = 0
    untouched: int = 0
    false_edits: int = 0
    words: int = 0
    seconds: float = 0.0
    # per confidence bin (tenths): [edits, edits that exactly undo a gold substitution]
    by_confidence: list[list[int]] = field(default_factory=lambda: [[0, 0] for _ in range(CONFIDENCE_BINS)])

    def add(self, other: Counts) -> None:
        for k, v in vars(other).items():
            if k == "by_confidence":
                for mine, theirs in zip(self.by_confidence, v):
                    mine[0] += theirs[0]
                    mine[1] += theirs[1]
            else:
                setattr(self, k, getattr(self, k) + v)

    def reliability(self) -> list[tuple[str, int, float]]:
        """(confidence bin, edits in it, share of them exactly right), for the bins with edits."""
        return [row for row in reliability(self.by_confidence) if row[1]]

    def summary(self) -> dict[str, float]:
        def ratio(a: float, b: float) -> float:
            return a / b if b else float("nan")

        return {
            "coverage": ratio(self.covered, self.gold),
            "exact": ratio(self.exact, self.gold),
            "detected": ratio(self.detected, self.gold),
            "precision": ratio(self.correct_edits, self.edits),
            "false_edit_rate": ratio(self.false_edits, self.untouched),
            "words_per_s": ratio(self.words, self.seconds),
        }


def probability_bin(p: float, bins: int) -> int:
    """Which of ``bins`` equal bins over [0, 1] holds ``p`` (1.0 in the last)."""
    return min(int(p * bins), bins - 1)


def reliability(tallies: list[list[int]]) -> list[tuple[str, int, float | None]]:
    """From [items, hits] per equal probability bin: (bin, items, share of hits or None)."""
    k = len(tallies)
    return [
        (f"{i / k:.1f}-{(i + 1) / k:.1f}", n, hits / n if n else None) for i, (n, hits) in enumerate(tallies)
    ]


def _norm(s: str) -> str:
    return " ".join(s.lower().replace("’", "'").split())


Edit = tuple[int, int, str]  # (start, end, text) in the spun text
MAX_RUN = 4  # neighbouring gold substitutions one edit may restore together


def gold_runs(spun: str, gold: list[Edit]) -> dict[Edit, list[int]]:
    """What restores which gold substitutions: each substitution's (start, end, original), and
    each run of up to ``MAX_RUN`` neighbouring ones joined with the spun text between them (at
    most one word the spinner kept), → the indexes of the substitutions it restores. A spinner
    that swaps a term word by word leaves "flag to commotion proportion" as three substitutions,
    and the one edit "signal to noise ratio" restores all three."""
    order = sorted(range(len(gold)), key=lambda i: gold[i][0])
    out: dict[Edit, list[int]] = {}
    for a, i in enumerate(order):
        start, end, joined = gold[i]
        out.setdefault((start, end, _norm(joined)), []).append(i)
        members = [i]
        for j in order[a + 1 : a + MAX_RUN]:
            gap = spun[end : gold[j][0]]
            if not (gap[:1].isspace() and gap[-1:].isspace() and len(gap.split()) <= 1):
                break
            joined, end, members = joined + gap + gold[j][2], gold[j][1], members + [j]
            out.setdefault((start, end, _norm(joined)), members)
    return out


def score(spun: str, gold: list[dict], spans: list[Span], candidates=None) -> Counts:
    """Compare predicted ``spans`` over ``spun`` with ``gold`` edits (spun_start/spun_end/original)."""
    runs = gold_runs(spun, [(g["spun_start"], g["spun_end"], g["original"]) for g in gold])
    c = judge(spun, runs, [(s.start, s.end, s.suggestion) for s in spans])
    for s in spans:
        tally = c.by_confidence[probability_bin(s.confidence, CONFIDENCE_BINS)]
        tally[0] += 1
        tally[1] += (s.start, s.end, _norm(s.suggestion)) in runs
    for g in gold:
        c.detected += any(s.start < g["spun_end"] and g["spun_start"] < s.end for s in spans)
        if candidates is not None:  # the engine's own candidate list for the observed words
            original = _norm(g["original"])
            c.covered += any(cand[0] == original for cand in candidates(_norm(g["substitute"])))
    return c


def judge(spun: str, runs: dict[Edit, list[int]], edits: list[Edit]) -> Counts:
    """The counts that need only the edits' (start, end, text): gold, edits, exact, correct
    edits, words, untouched words and false edits. ``runs`` is ``gold_runs``'s answer (also what
    ``bench/train_decision.py`` scores its candidate decisions with)."""
    singles = [key for key, members in runs.items() if len(members) == 1]  # one per substitution
    correct = [runs.get((s, e, _norm(t))) for s, e, t in edits]
    c = Counts(gold=len(singles), edits=len(edits))
    c.exact = len({i for members in correct if members for i in members})
    c.correct_edits = sum(members is not None for members in correct)
    # Character masks keep this linear in the text length.
    in_gold, in_edit = bytearray(len(spun)), bytearray(len(spun))
    for s, e, _ in singles:
        in_gold[s:e] = b"\1" * (e - s)
    for (s, e, _), members in zip(edits, correct):
        if members is None:  # (a correct run's kept words in between are given back unchanged)
            in_edit[s:e] = b"\1" * (e - s)
    for m in text.WORD_RE.finditer(spun):
        c.words += 1
        if not any(in_gold[m.start() : m.end()]):
            c.untouched += 1
            c.false_edits += any(in_edit[m.start() : m.end()])
    return c

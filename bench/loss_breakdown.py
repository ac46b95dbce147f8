"""Where are the gold substitutions lost? A breakdown by stage (dev split by default).

    .venv/bin/python bench/loss_breakdown.py [--spinner nlpaug|STYLE | --pairs FILE] [--rate 0.3] [--fast]
        [--words 12000] [--split dev] [--examples 8] [--gains] [Params overrides: neural_prior=0 ...]

(``--pairs``: another spinner's output, as ``unspin bench --pairs`` reads it, at ``--rate`` where its
pairs give one; make it from dev documents: ``bench/textattack_pairs.py export --split dev``.)

For each gold substitution of one word or phrase (runs a spinner made of several are left out),
the stage at which the engine loses it, read off the candidate rows its decision model sees
(``Restorer.feature_rows``) and their probabilities under the shipped model:

- ``not listed``: the original isn't among the candidates for the spun text at all (coverage);
- ``listed, not asked``: it is listed (``Candidates.listed``) but was pruned before the decision
  model (local trigram score, per-word limits, with the neural re-scorer its bound and gatekeeper);
  ``(no row at the span)`` when nothing at all was asked about there;
- ``asked, not the likeliest``: asked about, but another candidate at the span has a higher probability;
- ``likeliest, span's evidence under the threshold``: the likeliest, but the span's evidence (the
  sum of its candidates' probabilities, as the decoder weighs it) is under the decision threshold
  (its paragraph's, where the model has one per spin rate: ``decision.RateThresholds``; with a
  second reading, moved by ``Params.first_reading_margin``: the second may still restore it);
- ``likeliest, over the threshold``: restored, unless the decoder (spans, second reading) undoes it.

Under the table, of the substitutions lost after being listed, those whose likeliest asked candidate
is another form of the original's lemma ("says" for "said"): the inflection, not the word, was lost.

With ``--gains`` (the neural engine), a second table: how far the neural LM's gain alone separates
spun words from honest ones. Each substitution whose original was asked about falls in a bin by
that original's gain (nats the whole-paragraph LM gains by restoring it), and beside it are the
honest spans (their rows overlap no substitution) whose best candidate gains as much: the share
spun per bin is the precision an edit made on the gain alone would have there, and what a
decision model on these candidates is up against.

Rows are what the engine decides from, before decoding, so the last line is close to, not equal
to, the bench's exact restoration. Default engine: the neural re-scorer where installed, as
``unspin restore`` (``--fast``: the trigram engine). Dev numbers are optimistic: the decision models
were trained on dev documents spun by our own styles (nlpaug's output never).
"""

from __future__ import annotations

import argparse
import bisect
import dataclasses
import math
import sys
import time
from collections import Counter, defaultdict

from unspin.bench.metrics import _norm, gold_runs
from unspin.bench.pairs import read_pairs
from unspin.bench.run import select_documents, spun_items
from unspin.decision import FEATURES, NEURAL_FEATURES, moved
from unspin.restore import Restorer, make_restorer
from unspin.scoring import Params
from unspin.spin import STYLES

STAGES = (
    "not listed",
    "listed, not asked (no row at the span)",
    "listed, not asked",
    "asked, not the likeliest",
    "likeliest, span's evidence under the threshold",
    "likeliest, over the threshold",
)
GAIN_EDGES = (0.0, 2.0, 5.0, 10.0)  # nats: the --gains table's bins
_NEURAL_GAIN = (FEATURES + NEURAL_FEATURES).index("neural_gain")


def stage(restorer: Restorer, spun: str, start: int, end: int, original: str, asked, threshold: float) -> str:
    """The stage at which the substitution ``spun[start:end]`` ← ``original`` is lost (``STAGES``);
    ``asked``: (probability, candidate) of every row at that span. As in ``decision.choose``, a
    span is edited when the sum of its candidates' probabilities (that it was spun at all) reaches
    the threshold, to its likeliest candidate."""
    right = [q for q, c in asked if c == original]
    if right:
        if max(q for q, _ in asked) > max(right):
            return STAGES[3]
        return STAGES[5] if sum(q for q, _ in asked) >= threshold else STAGES[4]
    # (normalised as the bench's coverage count, ``metrics.score``, normalises it)
    listed = {option[0] for option in restorer.candidates.listed(_norm(spun[start:end]))}
    if original not in listed:
        return STAGES[0]
    return STAGES[2] if asked else STAGES[1]


def other_form(lexicon, candidate: str, original: str) -> bool:
    """Whether ``candidate`` is another form of a lemma of the one-word ``original`` (by the
    lexicon's analyses: "says" and "said" share "say")."""
    if candidate == original or " " in candidate or " " in original:
        return False
    lemmas = {lemma for lemma, _ in lexicon.analyses(original)}
    return any(lemma in lemmas for lemma, _ in lexicon.analyses(candidate))


def gain_bin(gain: float) -> int:
    """The --gains table's bin of a neural gain (bin k: GAIN_EDGES[k-1] <= gain < GAIN_EDGES[k])."""
    return bisect.bisect_right(GAIN_EDGES, gain)


def honest_gains(gain_at: dict[tuple[int, int, str], float], edits: list[tuple[int, int, str]]) -> list:
    """The best candidate's neural gain at each honest span: a span some row was asked about
    (``gain_at``: (start, end, candidate) → gain) that overlaps no substitution (``edits``)."""
    best: dict[tuple[int, int], float] = {}
    for (a, b, _), gain in gain_at.items():
        if not any(sa < b and a < sb for sa, sb, _ in edits):
            best[(a, b)] = max(gain, best.get((a, b), -math.inf))
    return list(best.values())


def gains_table(spun_bins: Counter, over_bins: Counter, honest_bins: Counter) -> str:
    """The --gains table, from each bin's substitutions (and of them those over the first reading's
    threshold) and honest spans."""
    names = [f"< {GAIN_EDGES[0]:g}"]
    names += [f"{a:g} to {b:g}" for a, b in zip(GAIN_EDGES, GAIN_EDGES[1:])] + [f">= {GAIN_EDGES[-1]:g}"]
    lines = [
        "| the original's neural gain (nats) | substitutions | over the threshold | honest spans whose best "
        "candidate gains as much | share spun |",
        "|---|---:|---:|---:|---:|",
    ]
    for k, name in enumerate(names):
        n, h = spun_bins[k], honest_bins[k]
        share = f"{n / (n + h):.1%}" if n + h else "–"
        lines.append(f"| {name} | {n:,} | {over_bins[k]:,} | {h:,} | {share} |")
    return "\n".join(lines)


def _thresholds(model) -> str:
    """The model's decision thresholds, as printed: one, or one per band of the spin-rate estimate."""
    if model.by_rate is None:
        return f"{model.threshold:.3f}"
    return "/".join(f"{t:.3f}" for t in model.by_rate.thresholds) + " by spin rate"


def parsed(value: str, default):
    """A Params override's value, of its default's type (a float where the default is None)."""
    if value == "None":
        return None
    if isinstance(default, bool):
        return value == "True"
    return int(value) if isinstance(default, int) else float(value)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spinner", default="nlpaug", choices=("nlpaug", *STYLES))
    ap.add_argument("--pairs", help="(original, spun) pairs of another spinner, JSON Lines (see bench.pairs)")
    ap.add_argument("--rate", type=float, default=0.3)
    ap.add_argument("--split", default="dev")
    ap.add_argument("--words", type=int, default=12_000)
    ap.add_argument("--fast", action="store_true", help="the trigram engine")
    ap.add_argument("--examples", type=int, default=0, help="print this many examples per stage")
    ap.add_argument("--gains", action="store_true", help="the neural gain's separation (neural engine)")
    ap.add_argument("overrides", nargs="*", help="Params fields, e.g. neural_prior=0")
    args = ap.parse_args()
    base = make_restorer(fast=args.fast)
    params = base.params
    for kv in args.overrides:
        name, _, value = kv.partition("=")
        if name not in {f.name for f in dataclasses.fields(Params)}:
            ap.error(f"no such Params field: {name}")
        params = dataclasses.replace(params, **{name: parsed(value, getattr(params, name))})
    # The rows before any decision: the same restorer without its model, which then scores them.
    restorer = Restorer(base.lexicon, base.lm, params, neural_lm=base.neural, use_decision_model=False)
    model = base.decision
    # The rows are the first reading's: with a second reading, the first decides at its margin.
    first_margin = params.first_reading_margin if restorer.neural is not None and params.second_pass else 0.0
    if model is None:
        print("no decision model ships for this engine", file=sys.stderr)
        return 1
    if args.gains and restorer.neural is None:
        ap.error("--gains needs the neural engine")

    t = time.perf_counter()
    counts: Counter[str] = Counter()
    forms: Counter[str] = Counter()  # per stage: the likeliest is another form of the original's lemma
    examples: dict[str, list[str]] = defaultdict(list)
    spun_bins: Counter[int] = Counter()  # --gains: substitutions asked about, by their original's gain
    over_bins: Counter[int] = Counter()
    honest_bins: Counter[int] = Counter()  # --gains: honest spans, by their best candidate's gain
    words = 0
    if args.pairs:
        pairs = [p for p in read_pairs(args.pairs) if p.rate in (None, args.rate)]
        items = [(p.spun, p.gold()) for p in pairs]
        source = f"{args.pairs} {args.rate:.0%}"
    else:
        items = spun_items(args.spinner, args.rate, select_documents(args.split, args.words))
        source = f"{args.spinner} {args.rate:.0%}, {args.split} split"
    for spun, edits in items:
        edits = [(e["spun_start"], e["spun_end"], e["original"]) for e in edits]
        words += len(spun.split())
        rows = restorer.feature_rows(spun)
        probabilities = model.probabilities([f for *_, f in rows]) if rows else []
        at: dict[tuple[int, int], list[tuple[float, str]]] = defaultdict(list)
        gain_at: dict[tuple[int, int, str], float] = {}  # (a, b, candidate): neural gain
        threshold_at: dict[tuple[int, int], float] = {}  # (a span's rows share their paragraph's)
        for (a, b, candidate, features), q in zip(rows, probabilities):
            at[(a, b)].append((float(q), candidate.lower()))
            if args.gains:
                key = (a, b, candidate.lower())
                gain_at[key] = max(features[_NEURAL_GAIN], gain_at.get(key, -math.inf))
            threshold_at[(a, b)] = moved(model.threshold_for(features), first_margin)
        for (a, b, original), members in gold_runs(spun, edits).items():
            if len(members) != 1:
                continue
            asked = at.get((a, b), [])
            s = stage(restorer, spun, a, b, original, asked, threshold_at.get((a, b), model.threshold))
            counts[s] += 1
            if (a, b, original) in gain_at:
                k = gain_bin(gain_at[(a, b, original)])
                spun_bins[k] += 1
                over_bins[k] += s == STAGES[5]
            if asked and s in STAGES[1:4] and other_form(restorer.lexicon, max(asked)[1], original):
                forms[s] += 1
            if len(examples[s]) < args.examples:
                top = ", ".join(f"{c} {q:.2f}" for q, c in sorted(asked, reverse=True)[:3])
                examples[s].append(f"{spun[a:b]} ← {original}" + (f"  [{top}]" if top else ""))
        honest_bins.update(gain_bin(g) for g in honest_gains(gain_at, edits))
    total = sum(counts.values())
    engine = "neural" if restorer.neural is not None else "trigram"
    print(f"{source}, {words:,} words, {engine} engine, "
          f"thresholds {_thresholds(model)}, {time.perf_counter() - t:.0f} s")  # fmt: skip
    print("\n| stage | substitutions | share |\n|---|---:|---:|")
    for s in STAGES:
        print(f"| {s} | {counts[s]:,} | {counts[s] / max(total, 1):.1%} |")
    lost = ", ".join(f"{s}: {forms[s]:,} ({forms[s] / max(total, 1):.1%})" for s in STAGES[1:4] if forms[s])
    print(f"\nThe likeliest asked candidate is another form of the original's lemma: {lost or 'none'}")
    if args.gains:
        print(f"\n{gains_table(spun_bins, over_bins, honest_bins)}")
    for s in STAGES:
        for line in examples[s]:
            print(f"{s}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Stage 4: choose the edits for a chunk — a beam Viterbi over non-overlapping edits.

States are (position, last two output words); each step either keeps the
observed token or applies one candidate edit covering one or more tokens.
Because the trigram history is part of the state, edits that only make sense
together ("the Pale Home" → "the White House") are scored together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .candidates import Option
from .lm import TrigramLM, extend, history_of
from .scoring import Params, lowest_cost, prior, window_logp

END = "</s>"


@dataclass(slots=True)
class Decision:
    """A chosen edit and how it compared with the alternatives at the same span."""

    option: Option
    probability: float  # share of the softmax over keep + all candidates at this span
    keep_probability: float
    alternatives: list[tuple[Option, float]]  # runner-up candidates with probabilities
    lm_gain: float  # nats the LM gains over keeping the observed words, in path context


def default_floor(params: Params) -> float:
    """The lowest local score the noisy channel can act on: the edit cost at the highest
    spin rate, less the prefilter margin."""
    return lowest_cost(params) - params.prefilter_margin


def local_scores(
    words: list[str],
    by_start: list[list[Option]],
    lm: TrigramLM,
    params: Params,
    start_hist: tuple[str, ...],
    sentence_end: bool,
    floor: float | None = None,
) -> list[list[tuple[float, Option]]]:
    """Each option's score against keeping the observed words, in the observed context:
    ``LM gain + prior`` without the edit cost. Best first per start token; options below
    ``floor`` are left out (default: those that can't reach any edit cost)."""
    n = len(words)
    if floor is None:
        floor = default_floor(params)
    out: list[list[tuple[float, Option]]] = []
    score_terms = lm.score_terms
    channel_weight, discount = params.channel_weight, params.unigram_discount
    for i, opts in enumerate(by_start):
        if not opts:
            out.append([])
            continue
        hist = history_of([*start_hist, *words[max(0, i - 2) : i]])
        scored = []
        # Per span end: the right context and the score of keeping the observed words.
        keep: dict[int, tuple[tuple[str, ...], float]] = {}
        for opt in opts:
            right_base = keep.get(opt.end)
            if right_base is None:
                right = tuple(words[opt.end : opt.end + params.right_context])
                if sentence_end and opt.end + params.right_context >= n:
                    right += (END,)
                right_base = keep[opt.end] = (right, window_logp(lm, tuple(words[i : opt.end]), hist, right))
            right, base = right_base
            # Every LM term is <= 0, so once the running score drops below the floor
            # the option can't pass any prefilter: stop scoring it (saves most LM look-ups).
            # (prior() inlined: this loop is the engine's hot path)
            s = channel_weight * opt.channel - discount * opt.unigram_gain + opt.doc_gain - base
            s = score_terms(opt.words + right, hist, s, floor)
            if s >= floor:
                scored.append((s, opt))
        scored.sort(key=lambda x: -x[0])
        out.append(scored)
    return out


def prefilter(
    scored: list[list[tuple[float, Option]]], costs: dict[int, float], params: Params
) -> list[list[Option]]:
    """Keep, per start token, the few options that look promising in the observed context.

    This is the speed trick: on honest text almost nothing passes, so the
    decoder mostly walks a single path.
    """
    margin = params.prefilter_margin
    return [[o for s, o in opts[: params.max_options] if s > costs[o.sources] - margin] for opts in scored]


def viterbi(
    words: list[str],
    by_start: list[list[Option]],
    lm: TrigramLM,
    params: Params,
    costs: dict[int, float],
    start_hist: tuple[str, ...],
    sentence_end: bool,
) -> list[Option]:
    """Best sequence of edits for the chunk (only the edits, keeps are implicit)."""
    n = len(words)
    # states[i]: history -> (score, back pointer (prev position, prev history, option))
    states: list[dict] = [dict() for _ in range(n + 1)]
    states[0][start_hist] = (0.0, None)
    for i in range(n):
        if not states[i]:
            continue
        current = sorted(states[i].items(), key=lambda kv: -kv[1][0])[: params.beam]
        keep = Option(i, i + 1, words[i], (words[i],), 0.0, 0)
        for hist, (score, _) in current:
            for opt in [keep, *by_start[i]]:
                s = score if opt is keep else score + prior(opt, params, costs)
                h = hist
                for w in opt.words:
                    s += lm.logp(w, h)
                    h = extend(h, w)
                nxt = states[opt.end]
                old = nxt.get(h)
                if old is None or s > old[0]:
                    nxt[h] = (s, (i, hist, None if opt is keep else opt))
    best_hist, best = None, -math.inf
    for hist, (score, _) in states[n].items():
        if sentence_end:
            score += lm.logp(END, hist)
        if score > best:
            best_hist, best = hist, score
    edits: list[Option] = []
    pos, hist = n, best_hist
    while pos > 0:
        _, (prev_pos, prev_hist, opt) = states[pos][hist]
        if opt is not None:
            edits.append(opt)
        pos, hist = prev_pos, prev_hist
    return edits[::-1]


def explain(
    words: list[str],
    edits: list[Option],
    by_start: list[list[Option]],
    lm: TrigramLM,
    params: Params,
    costs: dict[int, float],
    start_hist: tuple[str, ...],
    sentence_end: bool,
) -> list[Decision]:
    """Score each chosen edit against keep and its rivals, in the context of the chosen path."""
    # The output word sequence, and where each edit sits in it.
    out: list[str] = []
    where: list[tuple[int, int]] = []
    pos = 0
    for e in edits:
        out += words[pos : e.start]
        where.append((len(out), len(out) + len(e.words)))
        out += e.words
        pos = e.end
    out += words[pos:]
    decisions = []
    for e, (a, b) in zip(edits, where):
        hist = history_of([*start_hist, *out[max(0, a - 2) : a]])
        right = tuple(out[b : b + params.right_context])
        if sentence_end and b + params.right_context >= len(out):
            right += (END,)
        keep_score = window_logp(lm, tuple(words[e.start : e.end]), hist, right)
        rivals = [o for o in by_start[e.start] if o.end == e.end]
        if e not in rivals:
            rivals.append(e)
        scores = [window_logp(lm, o.words, hist, right) + prior(o, params, costs) for o in rivals]
        top = max([keep_score, *scores])
        z = math.exp(keep_score - top) + sum(math.exp(s - top) for s in scores)
        probs = [math.exp(s - top) / z for s in scores]
        ranked = sorted(zip(rivals, probs, scores), key=lambda x: -x[1])
        mine = next(x for x in ranked if x[0] == e)
        decisions.append(
            Decision(
                option=e,
                probability=mine[1],
                keep_probability=math.exp(keep_score - top) / z,
                alternatives=[(o, p) for o, p, _ in ranked if o != e][:3],
                lm_gain=mine[2] - prior(e, params, costs) - keep_score,
            )
        )
    return decisions

"""Stage 4: deciding which edits to make — a learned model over the noisy-channel evidence.

A raw LM gain can't tell a true restoration from a plausible rewrite of an
honest word: both gain a few nats. So each candidate edit gets a feature
vector (LM gain, channel probability, which thesauri link the words, how
frequent each side is, how well the observed word fits its left context,
the document's estimated spin rate, …) and a model trained by
``bench/train_decision.py`` on clean text spun by our own spinner turns it
into the probability that the edit restores the original. The edits are then
chosen by dynamic programming over non-overlapping spans.

Two kinds of model file, both plain JSON with the feature names, the decision
thresholds chosen on a validation split (the neural one's, one per band of the
paragraph's estimated spin rate: ``RateThresholds``) and the command that made them: a
logistic model (standardisation, coefficients, intercept) and gradient-boosted
trees (``BoostedTrees`` documents the node table). Two files ship:
``data/decision_fast.json`` (trees over the trigram evidence: the ``--fast``
engine's decisions, and with the neural LM its gatekeeper, which rules out the
rows not worth the LM's time) and ``data/decision_neural.json`` (trees with the
neural features too: the neural re-scorer's).
"""

from __future__ import annotations

import bisect
import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .candidates import Option
from .lexicon import MOBY, MYTHES, PIVOT, TERM, WORDNET
from .lm import TrigramLM, history_of

FAST_MODEL_PATH = Path(__file__).parent / "data" / "decision_fast.json"
NEURAL_MODEL_PATH = Path(__file__).parent / "data" / "decision_neural.json"

FEATURES = (
    "lm_gain",  # nats the candidate gains over the observed words, observed context
    "channel",  # log P(observed | candidate)
    "adaptation",  # nats the document's thesaurus evidence adds to that (scoring.channel_adaptation)
    "wordnet",  # the thesauri that link the two
    "moby",
    "mythes",
    "pivot",  # linked by the bilingual pivot (a back-off source, see lexicon)
    "term",  # a known multiword term matched word by word (``terms``)
    "sources",  # how many of them
    "unigram_observed",  # log P(observed) per word, no context
    "unigram_candidate",
    "fit_observed",  # log P(first observed word | left context) - its unigram log P
    "observed_words",
    "candidate_words",
    "observed_oov",  # observed word unknown to the LM
    "rank",  # rank among the candidates for this start token (0 = best local score)
    "lead",  # local score minus the next best candidate's
    "rate_logit",  # log-odds of the document's estimated spin rate
    "capitalised",  # observed word capitalised inside a sentence
    "gain_x_rate",  # lm_gain * estimated rate: evidence counts for more in a spun document
    # the candidate is the observed word's own inflection ("rule" → "rules"): WordNet lists a
    # word's lemma in each of its senses, so spinners that walk its synsets often paste it
    "own_form",
)
# With the neural LM (``neural.py``) every row also carries these; that model has its own file.
NEURAL_FEATURES = (
    "neural_gain",  # nats the neural LM gains over the observed words, whole-paragraph context
    "neural_rank",  # rank by neural gain among the candidates at this span start
    "neural_lead",  # neural gain minus the best of keeping and the other candidates
    # the paragraph's spin rate as the neural LM sees it: the share of its words with some
    # candidate gaining over NEURAL_STRONG nats (sharper than the trigram's rate_logit)
    "neural_rate",
    # of those words, the share whose best candidate is an own form (+1 in the denominator: a
    # paragraph with one such word says little): a spinner that pastes lemmas does it throughout
    "neural_own",
    # log(1 + times the document so far has each word of the candidate / of the observed span;
    # the rarest word's count): a spinner swaps some of a word's occurrences and leaves the rest,
    # and an honest word recurs. The cache LM's bonus says this inside lm_gain; apart, the trees
    # can weigh it against the neural gain (see ``seen_features``)
    "candidate_seen",
    "observed_seen",
)
NEURAL_STRONG = 3.0
_OWN_FORM = FEATURES.index("own_form")


@dataclass(slots=True)
class Row:
    """One candidate edit with its features (chunk token offsets ``start:end``)."""

    start: int
    end: int
    option: Option
    lm_gain: float
    features: list[float]
    probability: float = 0.0
    score: float = 0.0  # local score: LM gain + channel + document evidence, before the edit cost
    picked: bool = False  # asked about because the neural LM's left-context bound picked it


def rows_for_chunk(
    words: list[str],
    capitalised: list[bool],
    scored: list[list[tuple[float, Option]]],
    lm: TrigramLM,
    unigram,
    start_hist: tuple[str, ...],
    rate: float,
    channel_weight: float,
    per_start: int,
    adaptation: dict[int, float] | None = None,
    picked: frozenset[tuple[int, int, str]] = frozenset(),
    own_forms=lambda word: frozenset(),
) -> list[Row]:
    """Feature rows for the ``per_start`` best candidates at each start token, ranked by their
    local score with the channel adapted to the document (``adaptation`` by source mask).
    ``picked``: (start token, end token, text) of candidates asked about whatever their rank.
    ``own_forms(phrase)``: the observed phrase's own other inflections, if it is a dictionary form."""
    adapt = adaptation or {}
    rate = min(max(rate, 1e-4), 0.5)
    rate_logit = math.log(rate / (1 - rate))
    rows: list[Row] = []
    for i, opts in enumerate(scored):
        if not opts:
            continue
        hist = history_of([*start_hist, *words[max(0, i - 2) : i]])
        fit = lm.logp(words[i], hist) - lm.logp(words[i], ())
        oov = float(not lm.known(words[i]))
        if adapt:
            opts = sorted(
                ((s + channel_weight * adapt.get(o.sources, 0.0), o) for s, o in opts), key=lambda t: -t[0]
            )
        # A known term (``terms``) is asked about on top of the best candidates, not in place
        # of one, and ranked against them without changing their ranks: the LM favours a fluent
        # term, and it would crowd out or outrank the word's original.
        top = [t for t in opts if not t[1].sources & TERM][:per_start]
        # (rank, score, option, the next best score: for "lead")
        entries = [(k, s, o, top[k + 1][0] if k + 1 < len(top) else s - 10.0) for k, (s, o) in enumerate(top)]
        extra = [t for t in opts if t[1].sources & TERM][:1]
        extra += [t for t in opts if (i, t[1].end, t[1].text) in picked and t not in top and t not in extra]
        for s, o in extra:
            entries.append((sum(x > s for x, _ in top), s, o, max((x for x, _ in top), default=s - 10.0)))
        observed: dict[int, tuple[float, frozenset[str]]] = {}  # per span end: its unigram, own forms
        for rank, score, opt, nxt in entries:
            n_obs = opt.end - i
            if opt.end not in observed:
                phrase = " ".join(words[i : opt.end])
                observed[opt.end] = (unigram(phrase), own_forms(phrase))
            uni_obs, own = observed[opt.end]
            adapted = channel_weight * adapt.get(opt.sources, 0.0)
            lm_gain = score - adapted - channel_weight * opt.channel
            src = opt.sources
            rows.append(
                Row(
                    i,
                    opt.end,
                    opt,
                    lm_gain,
                    [
                        lm_gain,
                        opt.channel,
                        adapted,
                        float(bool(src & WORDNET)),
                        float(bool(src & MOBY)),
                        float(bool(src & MYTHES)),
                        float(bool(src & PIVOT)),
                        float(bool(src & TERM)),
                        float(bin(src & ~TERM).count("1")),
                        uni_obs / n_obs,
                        (uni_obs + opt.unigram_gain) / len(opt.words),
                        fit,
                        float(n_obs),
                        float(len(opt.words)),
                        oov,
                        float(rank),
                        score - nxt,
                        rate_logit,
                        float(capitalised[i]),
                        lm_gain * rate,
                        float(opt.text in own),
                    ],
                    score=score,
                    picked=(i, opt.end, opt.text) in picked,
                )
            )
    return rows


def add_neural_features(chunks: list[list[Row]], gains: list[float], words: int) -> None:
    """Append NEURAL_FEATURES to the rows of a paragraph's chunks (``words`` words in all), given
    each row's neural gain in order. A known term's row is ranked against the others at its
    start; theirs are ranked among themselves (see ``rows_for_chunk``)."""
    groups: list[list[tuple[Row, float]]] = []
    it = iter(gains)
    for rows in chunks:
        by_start: dict[int, list[tuple[Row, float]]] = {}
        for r in rows:
            by_start.setdefault(r.start, []).append((r, next(it)))
        groups += by_start.values()
    best = [max(group, key=lambda rg: rg[1]) for group in groups]
    strong = [r for r, g in best if g > NEURAL_STRONG]
    rate = len(strong) / max(words, 1)
    own = sum(r.features[_OWN_FORM] for r in strong) / (len(strong) + 1)
    for group in groups:
        plain = [rg for rg in group if not rg[0].option.sources & TERM]
        for r, g in group:
            rivals = [h for q, h in plain if q is not r]
            lead = g - max([0.0, *rivals])  # 0.0: keeping
            r.features += [g, float(sum(h > g for h in rivals)), lead, rate, own]


def seen_features(counts: Counter | None, observed: str, candidate: str) -> list[float]:
    """``candidate_seen`` and ``observed_seen`` for an edit of the text ``observed`` (as it stands
    in the paragraph) to ``candidate``, given the document's word counts so far (lower case,
    this paragraph included; ``DocumentEvidence.counts``). Worked example: with counts
    {"workers": 3, "the": 9}, "proletarian" → "workers" gives [log 4, log 1] = [1.386, 0.0]."""
    if not counts:
        return [0.0, 0.0]

    def seen(phrase: str) -> float:
        words = phrase.lower().replace("’", "'").split()
        return math.log1p(min((counts.get(w, 0) for w in words), default=0))

    return [seen(candidate), seen(observed)]


@dataclass(frozen=True, slots=True)
class RateThresholds:
    """Decision thresholds by band of a row's estimated spin rate (a model file's
    ``"rate_thresholds"``). False edits are honest words changed, and the more of a text is spun,
    the more of its honest words sit next to a spun one and read oddly: one threshold for every
    text keeps lightly spun text well under the false-edit limit and heavily spun text over it.
    So ``bench/train_decision.py`` picks one threshold per band, the highest exact restoration
    whose false edits stay under the limit at every spin rate. Worked example: the file says
    ``{"feature": "neural_rate", "edges": [0.06, 0.15, 0.25], "thresholds": [0.4, 0.4, 0.675, 0.75]}``;
    a row whose paragraph's ``neural_rate`` is 0.2 is edited at 0.675, one at 0.25 or more at 0.75."""

    feature: int  # the index of the rate estimate in a row's features
    edges: tuple[float, ...]  # band k is edges[k-1] <= rate < edges[k]
    thresholds: tuple[float, ...]  # one per band, len(edges) + 1

    @classmethod
    def from_spec(cls, spec: dict) -> RateThresholds | None:
        table = spec.get("rate_thresholds")
        if table is None:
            return None
        if table["feature"] not in spec["features"] or len(table["thresholds"]) != len(table["edges"]) + 1:
            raise ValueError(f"a malformed rate_thresholds table: {table}")
        feature = spec["features"].index(table["feature"])
        return cls(feature, tuple(table["edges"]), tuple(table["thresholds"]))

    def __call__(self, features: list[float]) -> float:
        return self.thresholds[self.band(features)]

    def band(self, features: list[float]) -> int:
        return bisect.bisect_right(self.edges, features[self.feature])

    def heavy(self, features: list[float]) -> bool:
        """Whether a row's paragraph reads as heavily spun: its band is in the upper half (a file
        trained at 10 / 30 / 50 % has a band for clean text and one per rate: those of 30 and 50 %).
        By the band, not by its threshold: a retrain moves the thresholds, not what the bands mean."""
        return self.band(features) >= len(self.thresholds) // 2


class _Thresholded:
    """What both kinds of model file say about deciding: ``threshold`` (one for every row), and
    ``by_rate`` where the file has ``rate_thresholds`` (``RateThresholds``)."""

    def _read_thresholds(self, spec: dict) -> None:
        self.threshold = spec.get("threshold", 0.5)
        self.by_rate = RateThresholds.from_spec(spec)

    def threshold_for(self, features: list[float]) -> float:
        """The decision threshold for a row with these features (the rows of one paragraph share it)."""
        return self.by_rate(features) if self.by_rate is not None else self.threshold

    @property
    def lowest_threshold(self) -> float:
        """The least probability any edit is made at, before a reading's margin (``moved``)."""
        return min(self.by_rate.thresholds) if self.by_rate is not None else self.threshold


class LogisticModel(_Thresholded):
    """A standardised logistic model in the JSON format ``bench/model_file.py`` writes.

    Shared by the decision model here and the spin detector (``check``).
    """

    def __init__(self, spec: dict, features: tuple[str, ...], trainer: str):
        if tuple(spec["features"]) != tuple(features):
            raise ValueError(f"model was trained on other features; rerun {trainer}")
        # Fold the standardisation into the weights once: logit = w·x + b.
        self.weights = [c / s for c, s in zip(spec["coef"], spec["scale"])]
        self.bias = spec["intercept"] - sum(
            c * m / s for c, m, s in zip(spec["coef"], spec["mean"], spec["scale"])
        )
        self._read_thresholds(spec)
        self.spec = spec  # the whole file, for extra tables a model ships with

    def probability(self, features: list[float]) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, features))
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))

    def probabilities(self, rows: list[list[float]]) -> list[float]:
        return [self.probability(f) for f in rows]


class BoostedTrees(_Thresholded):
    """Gradient-boosted regression trees on the log-odds (scikit-learn's
    ``HistGradientBoostingClassifier``, exported by ``bench/model_file.py``).

    The file lists every node of every tree in one flat table, roots first::

        "roots": [0, 7, …]            where each tree starts
        "feature": [20, 11, -1, …]    the feature a node splits on (-1: a leaf)
        "split": [1.5, -3.2, …]       go left when feature <= split
        "left": [1, 2, …], "right": [6, 5, …]   child nodes (absolute indexes)
        "value": [0, 0, -0.41, …]     a leaf's share of the log-odds
        "baseline": -1.9              the log-odds before any tree
        "depth": 9                    the deepest leaf's depth

    so the log-odds of a row is ``baseline + sum(value[leaf reached in each tree])``. Like
    ``LogisticModel`` it has ``probability`` and ``threshold``; ``probabilities`` scores many
    rows at once.
    """

    def __init__(self, spec: dict, features: tuple[str, ...], trainer: str):
        if tuple(spec["features"]) != tuple(features):
            raise ValueError(f"model was trained on other features; rerun {trainer}")
        self.depth = int(spec["depth"])
        self.baseline = float(spec["baseline"])
        self._read_thresholds(spec)  # the decision threshold(s), as LogisticModel's
        self.spec = spec
        # Each tree is padded out to a complete binary tree of ``depth`` levels (a leaf above
        # the bottom becomes a split that sends both ways to copies of itself), so the walk
        # needs no leaf test and a node's children are 2k+1 and 2k+2: three look-ups per level
        # instead of six (the trigram engine scores every candidate with the trees).
        inner, leaves = 2**self.depth - 1, 2**self.depth
        roots = spec["roots"]
        self.feature = np.zeros((len(roots), inner), dtype=np.int64)
        self.split = np.full((len(roots), inner), np.inf)
        self.value = np.zeros((len(roots), leaves))
        for t, root in enumerate(roots):
            self._pad(spec, t, root, 0)
        self.feature, self.split = self.feature.ravel(), self.split.ravel()
        self.offset = np.arange(len(roots)) * inner  # where each tree starts in the flat arrays

    def _pad(self, spec: dict, tree: int, node: int, at: int) -> None:
        """Copy ``node``'s subtree of the file's table to position ``at`` of padded ``tree``."""
        inner = 2**self.depth - 1
        if at >= inner:
            if spec["feature"][node] >= 0:
                raise ValueError("a tree is deeper than its model file's depth")
            self.value[tree, at - inner] = spec["value"][node]
            return
        if spec["feature"][node] < 0:  # a leaf: both ways lead to it
            self._pad(spec, tree, node, 2 * at + 1)
            self._pad(spec, tree, node, 2 * at + 2)
            return
        self.feature[tree, at] = spec["feature"][node]
        self.split[tree, at] = spec["split"][node]
        self._pad(spec, tree, spec["left"][node], 2 * at + 1)
        self._pad(spec, tree, spec["right"][node], 2 * at + 2)

    def probabilities(self, rows: list[list[float]]) -> list[float]:
        if not rows:
            return []
        x = np.asarray(rows, dtype=np.float64)
        # Walk every (row, tree) pair down at once: ``depth`` vectorised steps instead of a
        # Python loop per node (a paragraph's few hundred rows × some hundred trees in a few ms).
        at = np.zeros((len(x), len(self.offset)), dtype=np.int64)
        base = (np.arange(len(x)) * x.shape[1])[:, None]
        flat = x.ravel()
        for _ in range(self.depth):
            node = self.offset + at
            right = ~(flat[base + self.feature[node]] <= self.split[node])  # NaN goes right
            at = 2 * at + 1 + right
        leaves = at - (2**self.depth - 1)
        z = self.baseline + self.value[np.arange(len(self.offset)), leaves].sum(1)
        z = np.clip(z, -30.0, 30.0)
        return (1.0 / (1.0 + np.exp(-z))).tolist()

    def probability(self, features: list[float]) -> float:
        return self.probabilities([features])[0]


def load_model(path: Path, features: tuple[str, ...], trainer: str) -> LogisticModel | BoostedTrees | None:
    """Either kind of model file (a tree model has "roots"); None if there is none."""
    if not path.exists():
        return None
    spec = json.loads(path.read_text())
    return (BoostedTrees if "roots" in spec else LogisticModel)(spec, features, trainer)


def load_decision_model(kind: str) -> LogisticModel | BoostedTrees | None:
    """One of the shipped decision models (see above): "fast" or "neural"."""
    if kind == "neural":
        features = FEATURES + NEURAL_FEATURES
        return load_model(NEURAL_MODEL_PATH, features, "bench/train_decision.py --neural")
    if kind == "fast":
        return load_model(FAST_MODEL_PATH, FEATURES, "bench/train_decision.py")
    raise ValueError(f"unknown decision model {kind!r}: fast or neural")


def moved(threshold: float, margin: float) -> float:
    """``threshold`` moved by ``margin`` (the neural engine's readings, ``Params.first_reading_margin``),
    within [0.01, 0.99]: an edit always needs some evidence, and can always be made."""
    return min(max(threshold + margin, 0.01), 0.99) if margin else threshold


def choose(rows: list[Row], threshold: float) -> list[tuple[Row, list[Row]]]:
    """Best non-overlapping set of edits: weighted interval scheduling on log-odds over the threshold.

    A span's log-odds are those of its having been spun at all: the sum of its candidates'
    probabilities, since at most one of them is its original; its edit is the likeliest. A
    false edit is an honest word changed, so this is the chance the threshold should bound; the
    best candidate's own probability would leave a spun "be" alone when "is" (0.47) and "was"
    (0.35) split the evidence between them. Returns each chosen row with its rivals at the same
    span (for runner-ups).
    """
    by_span: dict[tuple[int, int], list[Row]] = {}
    for r in rows:
        by_span.setdefault((r.start, r.end), []).append(r)
    floor = math.log(threshold / (1 - threshold))
    spans = []
    for (a, b), group in by_span.items():
        group.sort(key=lambda r: -r.probability)
        p = min(max(sum(r.probability for r in group), 1e-9), 1 - 1e-9)
        weight = math.log(p / (1 - p)) - floor
        if weight > 0:
            spans.append((b, a, weight, group))
    spans.sort()
    # best[k]: best total over the first k spans (sorted by end); classic DP.
    ends = [s[0] for s in spans]
    best = [0.0]
    take: list[bool] = []
    prev: list[int] = []
    for k, (_end, start, weight, _group) in enumerate(spans):
        j = bisect.bisect_right(ends, start, 0, k)  # spans ending at or before this start
        with_it = best[j] + weight
        take.append(with_it > best[k])
        prev.append(j)
        best.append(max(with_it, best[k]))
    chosen = []
    k = len(spans)
    while k > 0:
        if take[k - 1]:
            group = spans[k - 1][3]
            chosen.append((group[0], group[1:]))
            k = prev[k - 1]
        else:
            k -= 1
    return chosen[::-1]

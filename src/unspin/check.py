"""Detection: was this text spun? Per document, paragraph and sentence, with the evidence.

Built on the restoration engine's per-word evidence: for every word, how much
better its best candidate original fits the context than the word itself
(the local noisy-channel score), from a cheap screening pass over the top few
candidates with no decoding (``Restorer.screen``). A spinner leaves many words with strong
evidence; honest prose leaves almost none. Each unit (document, paragraph,
sentence) gets a few rates of such evidence, and a logistic model — trained
by ``bench/train_detector.py`` on our own spinner's output and clean text
from the dev split, stored as ``data/detector.json`` — turns them into a
spin probability.

Lightly spun text often lands between "clearly clean" and the verdict
threshold. With a ``confirmer`` (the neural restorer: the default where
``unspin[neural]`` is installed, unless ``--fast``; see ``default_detector``)
such uncertain units are restored in full and judged again from
how many confident edits the restoration makes: a second logistic model
(``data/confirmer.json``, trained by ``bench/train_confirmer.py`` on our own
spinner's output) over the screen's verdict and those edits. It costs the
neural restorer's speed on the uncertain units, and on text judged spun,
whose flagged spans then come from the neural restorer too; a text is restored
at most once, and each paragraph judged from the spans inside it.

Text the model can't read — too short, or mostly words the English LM has
never seen — gets the verdict ``"not enough English text"`` and no
probability, never a confident guess.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import NamedTuple

from . import decision, text
from .restore import Restorer, default_restorer
from .results import Span

MODEL_PATH = Path(__file__).parent / "data" / "detector.json"
TRAINER = "bench/train_detector.py"
CONFIRMER_PATH = Path(__file__).parent / "data" / "confirmer.json"
CONFIRMER_TRAINER = "bench/train_confirmer.py"
CONFIRM_FEATURES = ("screen_logit", "edits_50", "edits_90", "max_edit", "log_words")
# Screen probabilities from CONFIRM_FROM up to the verdict threshold are uncertain: the
# confirmer looks again. (Below it lie most clean paragraphs: the confirmer's cost is per unit.)
CONFIRM_FROM = 0.2
MIN_WORDS = 8  # fewer words than this: no verdict
MIN_KNOWN = 0.6  # share of words the LM knows, below which the text isn't read as English
FEATURES = (
    "strong", "medium", "mean_gain", "unknown", "log_words", "strong_log_odds", "llr_5", "llr_10", "llr_30",
)  # fmt: skip
# A word's evidence (its best local score, nats) falls in one of these bins:
# bin k holds EDGES[k-1] < score <= EDGES[k]; bin 0 is "no evidence" (score <= 0).
SCORE_EDGES = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0)
# ...counted apart for capitalised words inside a sentence (names, mostly: a rare name draws
# evidence, and a spinner seldom swaps one), so the tables hold twice as many bins.
NBINS = 2 * (len(SCORE_EDGES) + 1)
MIX_RATES = (0.05, 0.1, 0.3)  # spin rates the likelihood-ratio features assume
SPUN, NOT_SPUN, UNREADABLE = "spun", "not spun", "not enough English text"


@dataclass(slots=True)
class Unit:
    """A paragraph or sentence: character range, words, and its spin probability."""

    start: int
    end: int
    words: int
    probability: float | None
    suspicious: int  # words with strong evidence
    confirmed: bool = False  # judged again by the confirmer (the neural restorer)


@dataclass(slots=True)
class CheckResult:
    probability: float | None
    verdict: str
    suspicious_share: float
    words: int
    spans: list[Span] = field(default_factory=list)
    confirmed: bool = False  # the document was judged again by the confirmer
    paragraphs: list[Unit] = field(default_factory=list)
    sentences: list[Unit] = field(default_factory=list)
    # The verdict is "spun" from this probability on. It sits high (few false alarms), so a text
    # can be more likely spun than not and still be judged "not spun": shown beside the probability.
    threshold: float | None = None

    def to_dict(self) -> dict:
        return {
            "probability": self.probability,
            "verdict": self.verdict,
            "threshold": self.threshold,
            "suspicious_share": self.suspicious_share,
            "words": self.words,
            "confirmed": self.confirmed,
            "spans": [s.to_dict() for s in self.spans],
            "paragraphs": [asdict(u) for u in self.paragraphs],
            "sentences": [asdict(u) for u in self.sentences],
        }


class WordLikelihood:
    """How word evidence is distributed in spun text against clean text, per score bin.

    ``spun[k]`` is log P(bin k | substituted word) − log P(bin k | word of clean text);
    ``kept[k]`` the same for the untouched words of spun text (their context changed
    too). A unit spun at rate r against a clean one then has the log-likelihood ratio
    Σ over its words of log((1 − r)·exp(kept[k]) + r·exp(spun[k])): a sum, so it adds
    up over sentences and paragraphs like the counts. Fit by ``bench/train_detector.py``
    on gold-labelled words of our own spinner's output (dev split).

    Example: with ``spun[7] = 3.0`` and ``kept[7] = 0.2`` a word scoring 7 nats adds
    log(0.9·e^0.2 + 0.1·e^3.0) ≈ 1.13 to the ratio at r = 0.1.
    """

    def __init__(self, spun: list[float], kept: list[float]):
        if len(spun) != NBINS or len(kept) != NBINS:
            raise ValueError(f"word likelihood tables need {NBINS} bins; rerun {TRAINER}")
        self.spun, self.kept = spun, kept
        # Per rate, the log-ratio each bin adds: precomputed, the tally loop only indexes.
        self.by_rate = [
            [math.log((1 - r) * math.exp(a) + r * math.exp(b)) for a, b in zip(kept, spun)] for r in MIX_RATES
        ]

    @staticmethod
    def bin(score: float, name_like: bool = False) -> int:
        return bisect.bisect_left(SCORE_EDGES, score) + (NBINS // 2 if name_like else 0)


NO_LIKELIHOOD = WordLikelihood([0.0] * NBINS, [0.0] * NBINS)


class ScreenedWord(NamedTuple):
    """A word token's screening evidence (paragraph offsets)."""

    start: int
    end: int
    score: float  # best local score of a candidate original; -inf: none, or counted already
    known: bool  # in the LM's vocabulary
    ends_sentence: bool
    name_like: bool  # capitalised inside a sentence


def _no_bins() -> list[int]:
    return [0] * NBINS


@dataclass(slots=True)
class _Tally:
    """Evidence counts over a stretch of text."""

    words: int = 0
    known: int = 0
    strong: int = 0
    medium: int = 0
    gain: float = 0.0
    bins: list[int] = field(default_factory=_no_bins)  # words per evidence bin (SCORE_EDGES)

    def add(self, other: _Tally) -> None:
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, list):
                mine[:] = [a + b for a, b in zip(mine, theirs)]
            else:
                setattr(self, f.name, mine + theirs)

    def features(self, likelihood: WordLikelihood) -> list[float]:
        n = max(self.words, 1)
        return [
            self.strong / n,
            self.medium / n,
            self.gain / n,
            1 - self.known / n,
            math.log(n),
            math.log(self.strong + 0.5) - math.log(n - self.strong + 0.5),  # smoothed log-odds
            # log-likelihood ratios of "spun at 5 / 10 / 30 %" against "clean"
            *(sum(c * x for c, x in zip(self.bins, table)) for table in likelihood.by_rate),
        ]


def confirm_features(screen_probability: float, spans: list[Span], words: int) -> list[float]:
    """CONFIRM_FEATURES of a unit: the screen's log-odds, and the full restoration's confident
    edits (probability ≥ 0.5 and ≥ 0.9, per 100 words; the most confident one)."""
    p = min(max(screen_probability, 1e-6), 1 - 1e-6)
    n = max(words, 1)
    confidences = [s.confidence for s in spans]
    return [
        math.log(p / (1 - p)),
        100 * sum(c >= 0.5 for c in confidences) / n,
        100 * sum(c >= 0.9 for c in confidences) / n,
        max(confidences, default=0.0),
        math.log(n),
    ]


class Detector:
    """Judges texts from the engine's cheap screening pass (``Restorer.screen``); only
    text judged spun is decoded in full, for the flagged spans."""

    def __init__(
        self, restorer: Restorer | None = None, load_model: bool = True, confirmer: Restorer | None = None
    ):
        """``load_model=False`` gives a detector that only tallies evidence (for training).
        ``confirmer``: a restorer (the neural one) that judges uncertain units again."""
        # the screen needs speed more than the last point of exactness: no neural re-scorer
        self.restorer = restorer or default_restorer(fast=True)
        self.confirmer = confirmer
        self.confirm_model = (
            decision.load_model(CONFIRMER_PATH, CONFIRM_FEATURES, CONFIRMER_TRAINER) if confirmer else None
        )
        if confirmer is not None and self.confirm_model is None:
            raise RuntimeError(f"confirmer model missing: {CONFIRMER_PATH} (run {CONFIRMER_TRAINER})")
        self.model = decision.load_model(MODEL_PATH, FEATURES, TRAINER) if load_model else None
        self.likelihood = (
            WordLikelihood(**self.model.spec["word_likelihood"]) if self.model else NO_LIKELIHOOD
        )
        # Verdict threshold, chosen on out-of-fold dev predictions for few false alarms.
        self.threshold = self.model.threshold if self.model else 0.5

    def probability(self, tally: _Tally) -> float | None:
        if tally.words < MIN_WORDS or tally.known / tally.words < MIN_KNOWN:
            return None
        if self.model is None:
            raise RuntimeError(f"detector model missing: {MODEL_PATH} (run {TRAINER})")
        return self.model.probability(tally.features(self.likelihood))

    def uncertain(self, p: float | None) -> bool:
        return p is not None and CONFIRM_FROM <= p < self.threshold

    def judged(self, tally: _Tally, restored: Callable[[], list[Span]]) -> tuple[float | None, bool]:
        """(probability, whether the confirmer judged it); ``restored()`` gives the confirmer's
        spans over the unit, asked for only when the screen is unsure."""
        p = self.probability(tally)
        if self.confirmer is None or not self.uncertain(p):
            return p, False
        return self.confirm_model.probability(confirm_features(p, restored(), tally.words)), True

    def word_evidence(self, para: str) -> list[ScreenedWord]:
        """The screening pass's evidence per word, counted once per word form: an honest text
        repeats its topic words ("anarchism", "soul"), and a rare one draws evidence each time."""
        counted: set[str] = set()
        out = []
        sentence_start = True
        for w in self.restorer.screen(para):
            score = w.best
            if score > 0:
                form = para[w.start : w.end].lower()
                if form in counted:
                    score = -math.inf
                counted.add(form)
            name_like = not sentence_start and para[w.start].isupper()
            out.append(ScreenedWord(w.start, w.end, score, w.known, w.ends_sentence, name_like))
            sentence_start = w.ends_sentence
        return out

    def tallies(self, source: str):
        """(document tally, [(start, end, tally)] per paragraph, the same per sentence)."""
        strong = self.restorer.params.evidence_threshold
        medium = strong / 2
        bin_of = WordLikelihood.bin
        doc, paras, sents = _Tally(), [], []
        for offset, para in text.paragraphs(source):
            p_tally = _Tally()
            bins = _no_bins()
            # Plain locals, not _Tally attributes, per word: this loop runs once per word.
            words = known = n_strong = n_medium = 0
            gain = 0.0
            sent_start = None
            evidence = self.word_evidence(para)
            for start, end, score, is_known, ends_sentence, name_like in evidence:
                sent_start = start if sent_start is None else sent_start
                words += 1
                known += is_known
                bins[bin_of(score, name_like)] += 1
                if score > 0:
                    gain += score
                    n_medium += score > medium
                    n_strong += score > strong
                if ends_sentence:
                    sentence = _Tally(words, known, n_strong, n_medium, gain, bins)
                    sents.append((sent_start + offset, end + offset, sentence))
                    p_tally.add(sentence)
                    words = known = n_strong = n_medium = 0
                    gain = 0.0
                    sent_start = None
                    bins = _no_bins()
            if words:
                sentence = _Tally(words, known, n_strong, n_medium, gain, bins)
                sents.append((sent_start + offset, evidence[-1].end + offset, sentence))
                p_tally.add(sentence)
            if p_tally.words:
                paras.append((evidence[0].start + offset, evidence[-1].end + offset, p_tally))
                doc.add(p_tally)
        return doc, paras, sents

    def check(self, source: str) -> CheckResult:
        doc, paras, sents = self.tallies(source)

        # The confirmer restores the whole text at most once, whichever units ask: a paragraph
        # is judged from the spans inside it, and the spans shown are the same ones.
        @functools.cache
        def restored() -> list[Span]:
            return self.confirmer.restore(source).spans

        def inside(a: int, b: int) -> list[Span]:
            return [s for s in restored() if a <= s.start and s.end <= b]

        p, confirmed = self.judged(doc, restored)
        verdict = UNREADABLE if p is None else SPUN if p >= self.threshold else NOT_SPUN
        paragraphs = []
        for a, b, t in paras:
            # one paragraph is the document: judged (and perhaps confirmed) once, above
            p_par, c_par = self.judged(t, lambda a=a, b=b: inside(a, b)) if len(paras) > 1 else (p, confirmed)
            paragraphs.append(_unit(a, b, t, p_par, c_par))
        # Flagged spans: the full restoration, only where something was judged spun
        # (a spun document, or a spun paragraph in an honest one). Clean text, the
        # bulk of any screening job, never pays for decoding.
        judged_spun = verdict == SPUN or any(
            u.probability is not None and u.probability >= self.threshold for u in paragraphs
        )
        if not judged_spun or p is None:
            spans = []
        elif restored.cache_info().currsize:  # the confirmer restored it already, and better
            spans = restored()
        else:
            spans = (self.confirmer or self.restorer).restore(source).spans
        return CheckResult(
            probability=None if p is None else round(p, 4),
            verdict=verdict,
            suspicious_share=round(doc.strong / doc.words, 4) if doc.words else 0.0,
            words=doc.words,
            spans=spans,
            paragraphs=paragraphs,
            sentences=[_unit(a, b, t, self.probability(t)) for a, b, t in sents],
            confirmed=confirmed,
            threshold=round(self.threshold, 4),
        )


def _unit(start: int, end: int, t: _Tally, p: float | None, confirmed: bool = False) -> Unit:
    return Unit(start, end, t.words, None if p is None else round(p, 4), t.strong, confirmed)


_DEFAULTS: dict[bool, Detector] = {}


def default_detector(fast: bool = False) -> Detector:
    """The screen, with the neural restorer as its confirmer where ``unspin[neural]`` is
    installed, as ``restore`` uses it: unless ``fast`` (or ``UNSPIN_FAST=1``), which screens
    alone (~30x faster on clean text, misses about half of lightly spun texts)."""
    if fast not in _DEFAULTS:
        _DEFAULTS[fast] = Detector(confirmer=None if fast else neural_confirmer(default_restorer()))
    return _DEFAULTS[fast]


def neural_confirmer(restorer: Restorer) -> Restorer | None:
    """``restorer`` as a confirmer if it has the neural re-scorer (not installed, or
    ``UNSPIN_FAST``: None, the screen alone)."""
    return restorer if restorer.neural is not None else None


def honest_paragraphs(restorer: Restorer) -> Callable[[str], bool] | None:
    """The screen as the neural restorer's gate (``Restorer.honest``): True for a paragraph
    the screen gives under ``Params.neural_screen`` probability of being spun (None: no
    gate). Reading it with the neural re-scorer costs ~100x the screen, and on it the
    re-scorer's edits are nearly all false ones."""
    below = restorer.params.neural_screen
    if below is None:
        return None
    screen = Detector(restorer)  # (the screen reads only the trigram evidence)

    def honest(paragraph: str) -> bool:
        p = screen.probability(screen.tallies(paragraph)[0])
        return p is not None and p < below

    return honest


def check(source: str, fast: bool = False) -> CheckResult:
    """Judge ``source``: ``.probability``, ``.verdict``, ``.spans``, ``.paragraphs``, ``.sentences``
    (``fast``: the screen alone, see ``default_detector``)."""
    return default_detector(fast).check(source)


# --------------------------------------------------------------------------- phrase discovery


@dataclass(slots=True)
class PhraseFinding:
    """A multiword phrase that looks like spinner output, across a collection."""

    phrase: str  # as observed, lower case
    likely_original: str
    count: int
    documents: int
    mean_confidence: float  # over the occurrences the restorer edited (0 where none)
    occurrences: list[tuple[str, int, int]]  # (document name, start, end), the first few
    restored: int = 0  # occurrences the restorer edited
    # Where a known term flagged it (``term_flags``): the neural LM's strongest preference for the
    # term over every other reading of the phrase, in nats. None: found by restoration alone.
    known_term_lead: float | None = None


# A known term that the neural LM prefers to every other reading of a run of words by this many
# nats marks the run as spun, even where the decision model won't restore it. In our spinners'
# text such a term usually takes in an honest neighbour, so it is seldom the exact original (15 %),
# but the words it would replace were spun (98 %), and no clean dev word had one (BENCHMARKS.md,
# 8 Dec (10): read off the dev rows; on the clean test text, one in ~15,000 words). A paper mill's
# tortured phrases in lightly spun text are what it finds that restoration leaves alone.
TERM_FLAG_LEAD = 10.0
_TERM = decision.FEATURES.index("term")
_NEURAL_LEAD = (decision.FEATURES + decision.NEURAL_FEATURES).index("neural_lead")


def term_flags(restorer: Restorer, source: str) -> list[tuple[int, int, str, float]]:
    """(start, end, term, lead) for each run of ``source``'s words where the neural LM prefers a
    known term to every other reading by more than TERM_FLAG_LEAD nats (none without the neural
    re-scorer). Reads ``source`` once more, at the neural re-scorer's cost."""
    if restorer.neural is None:
        return []
    return [
        (start, end, term, features[_NEURAL_LEAD])
        for start, end, term, features in restorer.feature_rows(source)
        if features[_TERM] and features[_NEURAL_LEAD] > TERM_FLAG_LEAD
    ]


def phrase_edits(source: str, spans: list[Span]) -> list[tuple[int, int, str, float]]:
    """Multiword edits: spans of several words, and runs of adjacent one-word edits merged.

    A technical term spun word by word ("counterfeit consciousness") shows up as
    neighbouring single-word edits; merging them recovers the phrase.
    """
    out: list[tuple[int, int, str, float]] = []
    run: list[Span] = []

    def flush() -> None:
        if len(run) > 1 or (run and (" " in run[0].observed or " " in run[0].suggestion)):
            conf = sum(s.confidence for s in run) / len(run)
            out.append((run[0].start, run[-1].end, " ".join(s.suggestion for s in run), conf))
        run.clear()

    for s in spans:
        if run and not source[run[-1].end : s.start].isspace():
            flush()
        run.append(s)
    flush()
    return out


def discover_phrases(
    documents, restorer: Restorer | None = None, keep: int = 5, terms: Restorer | None = None
) -> list[PhraseFinding]:
    """Rank the multiword phrases of ``documents`` ((name, text) pairs) that look spun.

    Phrases seen in more documents rank first (a spinner reuses its table),
    then by count and by the restorer's confidence. ``terms``: a restorer with the neural
    re-scorer whose known-term flags (``term_flags``) count as findings too, where ``restorer``
    edits nothing at them.
    """
    restorer = restorer or default_restorer(fast=True)
    found: dict[tuple[str, str], PhraseFinding] = {}
    seen_in: dict[tuple[str, str], set[str]] = {}
    for name, source in documents:
        edits = phrase_edits(source, restorer.restore(source).spans)
        hits = [(a, b, original, conf, None) for a, b, original, conf in edits]
        if terms is not None:
            edited = [(a, b) for a, b, *_ in hits]
            hits += [
                (a, b, term, None, lead)
                for a, b, term, lead in term_flags(terms, source)
                if not any(x < b and a < y for x, y in edited)
            ]
        for start, end, original, conf, lead in sorted(hits, key=lambda h: h[:2]):
            key = (" ".join(source[start:end].lower().split()), original.lower())
            f = found.get(key)
            if f is None:
                f = found[key] = PhraseFinding(key[0], key[1], 0, 0, 0.0, [])
            seen_in.setdefault(key, set()).add(name)
            f.documents = len(seen_in[key])
            if conf is not None:
                f.mean_confidence = (f.mean_confidence * f.restored + conf) / (f.restored + 1)
                f.restored += 1
            else:
                f.known_term_lead = max(lead, f.known_term_lead or lead)
            f.count += 1
            if len(f.occurrences) < keep:
                f.occurrences.append((name, start, end))
    return sorted(found.values(), key=lambda f: (-f.documents, -f.count, -f.mean_confidence, f.phrase))

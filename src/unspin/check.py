"""Detection: was this text spun? Per document, paragraph and sentence, with the evidence.

Built on the restoration engine's per-word evidence: for every word, how much
better its best candidate original fits the context than the word itself
(the local noisy-channel score). A spinner leaves many words with strong
evidence; honest prose leaves almost none. Each unit (document, paragraph,
sentence) gets a few rates of such evidence, and a logistic model — trained
by ``bench/train_detector.py`` on our own spinner's output and clean text
from the dev split, stored as ``data/detector.json`` — turns them into a
spin probability.

Text the model can't read — too short, or mostly words the English LM has
never seen — gets the verdict ``"not enough English text"`` and no
probability, never a confident guess.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from . import text
from .decision import LogisticModel
from .restore import DocumentEvidence, Restorer, WordEvidence, default_restorer
from .results import Span

MODEL_PATH = Path(__file__).parent / "data" / "detector.json"
TRAINER = "bench/train_detector.py"
MIN_WORDS = 8  # fewer words than this: no verdict
MIN_KNOWN = 0.6  # share of words the LM knows, below which the text isn't read as English
FEATURES = ("strong", "medium", "mean_gain", "edits", "unknown", "log_words", "strong_log_odds")
SPUN, NOT_SPUN, UNREADABLE = "spun", "not spun", "not enough English text"


@dataclass(slots=True)
class Unit:
    """A paragraph or sentence: character range, words, and its spin probability."""

    start: int
    end: int
    words: int
    probability: float | None
    suspicious: int  # words with strong evidence


@dataclass(slots=True)
class CheckResult:
    probability: float | None
    verdict: str
    suspicious_share: float
    words: int
    spans: list[Span] = field(default_factory=list)
    paragraphs: list[Unit] = field(default_factory=list)
    sentences: list[Unit] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "probability": self.probability,
            "verdict": self.verdict,
            "suspicious_share": self.suspicious_share,
            "words": self.words,
            "spans": [s.to_dict() for s in self.spans],
            "paragraphs": [asdict(u) for u in self.paragraphs],
            "sentences": [asdict(u) for u in self.sentences],
        }


@dataclass(slots=True)
class _Tally:
    """Evidence counts over a stretch of text."""

    words: int = 0
    known: int = 0
    strong: int = 0
    medium: int = 0
    gain: float = 0.0
    edits: int = 0

    def add(self, other: _Tally) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def features(self) -> list[float]:
        n = max(self.words, 1)
        return [
            self.strong / n,
            self.medium / n,
            self.gain / n,
            self.edits / n,
            1 - self.known / n,
            math.log(n),
            math.log(self.strong + 0.5) - math.log(n - self.strong + 0.5),  # smoothed log-odds
        ]


class Detector:
    def __init__(self, restorer: Restorer | None = None, load_model: bool = True):
        """``load_model=False`` gives a detector that only computes features (for training)."""
        self.restorer = restorer or default_restorer()
        self.model = LogisticModel.load(MODEL_PATH, FEATURES, TRAINER) if load_model else None
        # Verdict threshold, chosen on out-of-fold dev predictions for few false alarms.
        self.threshold = self.model.threshold if self.model else 0.5

    def probability(self, tally: _Tally) -> float | None:
        if tally.words < MIN_WORDS or tally.known / tally.words < MIN_KNOWN:
            return None
        if self.model is None:
            raise RuntimeError(f"detector model missing: {MODEL_PATH} (run {TRAINER})")
        return self.model.probability(tally.features())

    def tallies(self, source: str):
        """(document tally, paragraph tallies, sentence tallies, restoration spans) of ``source``."""
        r = self.restorer
        evidence = DocumentEvidence()
        doc, paras, sents, spans = _Tally(), [], [], []
        strong, medium = r.params.evidence_threshold, r.params.evidence_threshold / 2
        for offset, para in text.paragraphs(source):
            best: list[WordEvidence] = []
            para_spans = r.paragraph_spans(para, offset, evidence, best)
            spans += para_spans
            edited = bytearray(len(para))
            for s in para_spans:
                edited[s.start - offset : s.end - offset] = b"\1" * (s.end - s.start)
            p_tally = _Tally()
            sentence, sent_start = _Tally(), None
            for start, end, score, known, ends_sentence in best:
                sent_start = start if sent_start is None else sent_start
                t = _Tally(1, int(known), int(score > strong), int(score > medium), max(score, 0.0))
                t.edits = edited[start]
                sentence.add(t)
                if ends_sentence:
                    sents.append((sent_start + offset, end + offset, sentence))
                    p_tally.add(sentence)
                    sentence, sent_start = _Tally(), None
            if sentence.words:
                sents.append((sent_start + offset, best[-1][1] + offset, sentence))
                p_tally.add(sentence)
            if p_tally.words:
                paras.append((best[0][0] + offset, best[-1][1] + offset, p_tally))
                doc.add(p_tally)
        return doc, paras, sents, spans

    def check(self, source: str) -> CheckResult:
        doc, paras, sents, spans = self.tallies(source)
        p = self.probability(doc)
        verdict = UNREADABLE if p is None else SPUN if p >= self.threshold else NOT_SPUN
        return CheckResult(
            probability=None if p is None else round(p, 4),
            verdict=verdict,
            suspicious_share=round(doc.strong / doc.words, 4) if doc.words else 0.0,
            words=doc.words,
            spans=spans if p is not None else [],
            paragraphs=[_unit(a, b, t, self.probability(t)) for a, b, t in paras],
            sentences=[_unit(a, b, t, self.probability(t)) for a, b, t in sents],
        )


def _unit(start: int, end: int, t: _Tally, p: float | None) -> Unit:
    return Unit(start, end, t.words, None if p is None else round(p, 4), t.strong)


_DEFAULT: Detector | None = None


def check(source: str) -> CheckResult:
    """Judge ``source``: ``.probability``, ``.verdict``, ``.spans``, ``.paragraphs``, ``.sentences``."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Detector()
    return _DEFAULT.check(source)


# --------------------------------------------------------------------------- phrase discovery


@dataclass(slots=True)
class PhraseFinding:
    """A multiword phrase that looks like spinner output, across a collection."""

    phrase: str  # as observed, lower case
    likely_original: str
    count: int
    documents: int
    mean_confidence: float
    occurrences: list[tuple[str, int, int]]  # (document name, start, end), the first few


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


def discover_phrases(documents, restorer: Restorer | None = None, keep: int = 5) -> list[PhraseFinding]:
    """Rank the multiword phrases of ``documents`` ((name, text) pairs) that look spun.

    Phrases seen in more documents rank first (a spinner reuses its table),
    then by count and by the restorer's confidence.
    """
    restorer = restorer or default_restorer()
    found: dict[tuple[str, str], PhraseFinding] = {}
    seen_in: dict[tuple[str, str], set[str]] = {}
    for name, source in documents:
        result = restorer.restore(source)
        for start, end, original, conf in phrase_edits(source, result.spans):
            key = (" ".join(source[start:end].lower().split()), original.lower())
            f = found.get(key)
            if f is None:
                f = found[key] = PhraseFinding(key[0], key[1], 0, 0, 0.0, [])
            seen_in.setdefault(key, set()).add(name)
            f.documents = len(seen_in[key])
            f.mean_confidence = (f.mean_confidence * f.count + conf) / (f.count + 1)
            f.count += 1
            if len(f.occurrences) < keep:
                f.occurrences.append((name, start, end))
    return sorted(found.values(), key=lambda f: (-f.documents, -f.count, -f.mean_confidence, f.phrase))

"""The restoration engine: text → candidates → scoring → decoding → spans."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from . import candidates, decode, lexicon, lm, scoring, text
from .lexicon import Lexicon, source_names
from .lm import TrigramLM
from .results import Alternative, Evidence, Restoration, Span, apply_spans
from .scoring import Params


class Restorer:
    """Holds the loaded models; ``restore`` one text or ``pipe`` many."""

    def __init__(
        self, lex: Lexicon | None = None, model: TrigramLM | None = None, params: Params | None = None
    ):
        self.lexicon = lex or lexicon.load()
        self.lm = model or lm.load()
        self.params = params or Params()
        self.candidates = candidates.Candidates(self.lexicon, self.lm, self.params.max_candidates)

    def restore(self, source: str) -> Restoration:
        evidence = DocumentEvidence()
        spans = [
            s
            for offset, para in text.paragraphs(source)
            for s in self.paragraph_spans(para, offset, evidence)
        ]
        return Restoration(source, apply_spans(source, spans), spans, round(evidence.rate(self.params), 4))

    def pipe(self, sources: Iterable[str]) -> Iterator[Restoration]:
        for source in sources:
            yield self.restore(source)

    def paragraph_spans(
        self, para: str, offset: int = 0, evidence: DocumentEvidence | None = None
    ) -> list[Span]:
        """Spans for one paragraph; offsets are shifted by ``offset``.

        ``evidence`` carries the spin-rate estimate across the paragraphs of one
        document (streaming callers pass the same object for each paragraph).
        """
        evidence = evidence if evidence is not None else DocumentEvidence()
        # Pass 1: candidates and their local evidence, for the spin-rate estimate.
        prepared = []
        sentence_start = True
        for chunk in text.chunks(para):
            start_hist = ("<s>",) if sentence_start else ()
            sentence_start = chunk.ends_sentence
            words = [t.lower for t in chunk.tokens]
            evidence.words += len(words)
            by_start = self.candidates.options(chunk)
            if not any(by_start):
                continue
            scored = decode.local_scores(
                words, by_start, self.lm, self.params, start_hist, chunk.ends_sentence
            )
            evidence.strong += sum(
                1 for opts in scored if opts and opts[0][0] > self.params.evidence_threshold
            )
            prepared.append((chunk, words, start_hist, scored))
        cost = scoring.edit_cost(evidence.rate(self.params), self.params)
        # Pass 2: decode each chunk at that edit cost.
        spans: list[Span] = []
        for chunk, words, start_hist, scored in prepared:
            by_start = decode.prefilter(scored, cost, self.params)
            if not any(by_start):
                continue
            args = (self.lm, self.params, cost, start_hist, chunk.ends_sentence)
            edits = decode.viterbi(words, by_start, *args)
            for d in decode.explain(words, edits, by_start, *args):
                spans.append(_span(d, chunk, para, offset))
        return spans


@dataclass
class DocumentEvidence:
    """Running counts for a document's spin-rate estimate (see ``scoring``)."""

    words: int = 0
    strong: int = 0

    def rate(self, params: Params) -> float:
        return scoring.spin_rate(self.strong, self.words, params)


def _span(d: decode.Decision, chunk: text.Chunk, para: str, offset: int) -> Span:
    toks = chunk.tokens[d.option.start : d.option.end]
    start, end = toks[0].start, toks[-1].end
    return Span(
        start=start + offset,
        end=end + offset,
        observed=para[start:end],
        suggestion=_cased(toks, d.option.text),
        confidence=round(d.probability, 4),
        alternatives=tuple(Alternative(_cased(toks, o.text), round(p, 4)) for o, p in d.alternatives),
        evidence=Evidence(
            lm_gain=round(d.lm_gain, 3),
            channel=round(d.option.channel, 3),
            sources=tuple(source_names(d.option.sources)),
            keep_probability=round(d.keep_probability, 4),
        ),
    )


def _cased(tokens: list[text.Token], suggestion: str) -> str:
    """Carry the observed capitalisation over: "Pale Home" → "White House", "FIRED" → "DISMISSED"."""
    if len(tokens) > 1 and all(t.text[:1].isupper() for t in tokens):
        return " ".join(text.match_case(tokens[0].text, w) for w in suggestion.split(" "))
    return text.match_case(tokens[0].text, suggestion)


_DEFAULT: Restorer | None = None


def default_restorer() -> Restorer:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Restorer()
    return _DEFAULT


def restore(source: str) -> Restoration:
    """Restore ``source`` with the default models: ``restore(t).text``, ``restore(t).spans``."""
    return default_restorer().restore(source)

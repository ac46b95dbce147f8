"""The restoration engine: text → candidates → scoring → decoding → spans."""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from . import candidates, decision, decode, lexicon, lm, neural, scoring, terms, text
from .lexicon import Lexicon, source_names
from .lm import TrigramLM
from .neural import NeuralLM
from .resources import ResourceError
from .results import Alternative, Evidence, Restoration, Span, apply_spans
from .scoring import Params

CLOSED_CLASS = candidates.CLOSED_CLASS
_TERM = decision.FEATURES.index("term")  # a row's known-term flag
# A row's paragraph's neural spin rate and own-form share (the neural features follow the
# trigram ones): a paragraph read again keeps its first reading's.
_PARAGRAPH = [
    len(decision.FEATURES) + decision.NEURAL_FEATURES.index(f) for f in ("neural_rate", "neural_own")
]
_Model = decision.LogisticModel | decision.BoostedTrees  # a decision model (``decision.load_decision_model``)
# Words of a document's paragraphs the neural re-scorer reads together (see paragraphs_spans).
NEURAL_BATCH_WORDS = 400


class Restorer:
    """Holds the loaded models; ``restore`` one text or ``pipe`` many."""

    def __init__(
        self,
        lex: Lexicon | None = None,
        model: TrigramLM | None = None,
        params: Params | None = None,
        use_decision_model: bool = True,
        neural_lm: NeuralLM | None = None,
        honest: Callable[[str], bool] | None = None,
    ):
        """``neural_lm`` (see ``neural.py``) turns on the neural re-scorer and, with it, the
        decision model trained with its features (``data/decision_neural.json``); without it
        the trigram engine decides with its own (``data/decision_fast.json``).
        ``use_decision_model=False`` leaves the learned model out: the plain noisy channel for
        the trigram engine (``decode.viterbi``), the bare features for the neural one
        (``bench/train_decision.py`` only needs those, to train them).
        ``honest(paragraph)``: True for a paragraph the neural re-scorer may skip, as plainly
        honest (``make_restorer`` gives the spin detector's screen, see ``Params.neural_screen``);
        it gets no edits, and still counts in the document's evidence."""
        self.lexicon = lex or lexicon.load()
        self.lm = model or lm.load()
        self.params = params or Params()
        use_terms = neural_lm is not None if self.params.known_terms is None else self.params.known_terms
        known_terms = terms.TermIndex(self.lexicon, CLOSED_CLASS) if use_terms else None  # see Params
        # Each thesaurus' best past the cut (lexicon.PER_SOURCE) cost the trigram engine ~20 % of
        # its speed for no exactness: only the neural re-scorer tells such rare originals apart.
        self.candidates = candidates.Candidates(
            self.lexicon, self.lm, self.params.max_candidates, source_best=neural_lm is not None,
            terms=known_terms, reinflect=self.params.reinflect if neural_lm is not None else 0,
            tail=self.params.neural_tail if neural_lm is not None else 0,
        )  # fmt: skip
        # The screen keeps to the top of the list: its budget is per word of every text checked.
        self.screen_candidates = candidates.Candidates(
            self.lexicon, self.lm, self.params.screen_candidates, CLOSED_CLASS, source_best=False
        )
        self.neural = neural_lm
        self.honest = honest
        kind = "neural" if neural_lm is not None else "fast"
        self.decision = decision.load_decision_model(kind) if use_decision_model else None
        # Its neural features must be read as they were for training (a model file from before
        # the right context was recorded read two words).
        if self.decision is not None and neural_lm is not None:
            trained = self.decision.spec.get("right_words", 2)
            if trained != neural_lm.right_words:
                raise ValueError(
                    f"the neural decision model was trained on gains with {trained} words of right context, "
                    f"and this neural LM reads {neural_lm.right_words}: load it with right_words={trained}"
                )
        # The neural LM's gatekeeper: the trigram engine's own model (see Params.neural_prior).
        self.neural_prior = decision.load_decision_model("fast") if neural_lm is not None else None

    def restore(self, source: str) -> Restoration:
        evidence = DocumentEvidence()
        spans = [s for _, _, spans in self.paragraphs_spans(text.paragraphs(source), evidence) for s in spans]
        return Restoration(source, apply_spans(source, spans), spans, round(evidence.rate(self.params), 4))

    def pipe(self, sources: Iterable[str]) -> Iterator[Restoration]:
        for source in sources:
            yield self.restore(source)

    def paragraph_spans(
        self,
        para: str,
        offset: int = 0,
        evidence: DocumentEvidence | None = None,
    ) -> list[Span]:
        """Spans for one paragraph; offsets are shifted by ``offset``.

        ``evidence`` carries the spin-rate estimate across the paragraphs of one
        document (streaming callers pass the same object for each paragraph).
        """
        return next(self.paragraphs_spans([(offset, para)], evidence))[2]

    def paragraphs_spans(
        self, paragraphs: Iterable[tuple[int, str]], evidence: DocumentEvidence | None = None
    ) -> Iterator[tuple[int, str, list[Span]]]:
        """(offset, paragraph, spans) for each of one document's (offset, paragraph), in order.

        Streams: the trigram engine answers each paragraph as it comes; the neural re-scorer
        reads ``NEURAL_BATCH_WORDS`` words' worth of paragraphs at a time (its passes cost
        far less per token when long). Same results either way.
        """
        evidence = evidence if evidence is not None else DocumentEvidence()
        if self.neural is not None and self.decision is None:
            raise ResourceError("no decision model for the neural LM: run bench/train_decision.py --neural")
        batch: list[tuple[int, str]] = []
        words = 0
        for offset, para in paragraphs:
            batch.append((offset, para))
            words += para.count(" ") + 1  # roughly: only the batch size depends on it
            if self.neural is None or words >= NEURAL_BATCH_WORDS:
                yield from self._batch_spans(batch, evidence)
                batch, words = [], 0
        if batch:
            yield from self._batch_spans(batch, evidence)

    def _batch_spans(
        self, batch: list[tuple[int, str]], evidence: DocumentEvidence
    ) -> Iterator[tuple[int, str, list[Span]]]:
        if self.decision is None:  # no trained model: the plain noisy channel
            for offset, para in batch:
                yield offset, para, self._channel_spans(para, offset, evidence)
            return
        second_pass = self.neural is not None and self.params.second_pass
        states: list[DocumentEvidence] | None = [] if second_pass else None
        gated = self.honest is not None and self.neural is not None
        skip = [self.honest(para) for _, para in batch] if gated else None
        rows = self._batch_rows(batch, evidence, states=states, skip=skip)
        margin = self.params.first_reading_margin if second_pass else 0.0  # (easy first: see Params)
        found = [self._decided_spans(para, *prepared, margin) for (_, para), prepared in zip(batch, rows)]
        if second_pass:
            first = [
                next(([r.features[i] for i in _PARAGRAPH] for rs in rws for r in rs), None)
                for _, rws in rows
            ]
            found = self._second_pass(batch, found, states, first)
        for (offset, para), spans in zip(batch, found):
            yield offset, para, [replace(s, start=s.start + offset, end=s.end + offset) for s in spans]

    def _decided_spans(
        self, para: str, chunks: list[_Prepared], chunk_rows: list[list[decision.Row]], margin: float = 0.0
    ) -> list[Span]:
        """The decision model's edits in one paragraph (``decided_spans``)."""
        return decided_spans(self.decision, para, chunks, chunk_rows, margin, self.lexicon.written)

    def _second_pass(
        self,
        batch: list[tuple[int, str]],
        found: list[list[Span]],
        states: list[DocumentEvidence],
        first_reading: list[list[float] | None],
    ) -> list[list[Span]]:
        """Read each edited paragraph again with its edits made, and decide once more about every
        other word. The decision model judges an edit in its observed context, and a spinner
        swaps neighbours too ("the invoice handed"): once "invoice" is back to "bill", "handed"
        reads as the odd one out and "passed" fits; the neural LM reads the whole restored prefix.
        The first reading's edits stand, and the second decides at its own threshold
        (``Params.second_reading_margin``, or ``second_reading_heavy_margin``: easy first); each
        paragraph is read with the document's evidence as its first reading left it (``states``:
        not what later paragraphs of the batch added, so a paragraph gets the same edits in any
        batch) and the neural spin rate and own-form share that reading found (``first_reading``).
        Paragraph offsets in and out."""
        todo = [(k, apply_spans(para, found[k]), found[k]) for k, (_, para) in enumerate(batch) if found[k]]
        if not todo:
            return found
        regions = [_restored_regions(spans) for _, _, spans in todo]

        def untouched(k: int, chunk: text.Chunk, start: int, end: int) -> bool:
            a, b = chunk.tokens[start].start, chunk.tokens[end - 1].end
            return not any(ra < b and a < rb for ra, rb, _ in regions[k])

        edited = [(0, restored) for _, restored, _ in todo]
        again = self._batch_rows(edited, keep=untouched, read_as=[states[k] for k, _, _ in todo])
        out = list(found)
        for (k, restored, spans), (chunks, chunk_rows), moved in zip(todo, again, regions):
            para = batch[k][1]
            for r in (r for rs in chunk_rows for r in rs):
                for i, value in zip(_PARAGRAPH, first_reading[k]):  # (it had rows: it has spans)
                    r.features[i] = value
            margin = second_margin(self.decision, self.params, chunk_rows)
            decided = self._decided_spans(restored, chunks, chunk_rows, margin)
            added = [_in_paragraph(s, moved, para) for s in decided]
            out[k] = sorted(spans + added, key=lambda s: s.start)
        return out

    def _batch_rows(
        self,
        batch: list[tuple[int, str]],
        evidence: DocumentEvidence | None = None,
        keep=None,
        states: list[DocumentEvidence] | None = None,
        read_as: list[DocumentEvidence] | None = None,
        skip: list[bool] | None = None,
    ) -> list[tuple[list[_Prepared], list[list[decision.Row]]]]:
        """Each paragraph's chunks and their candidate rows, with every feature the decision
        model needs (the neural ones from one ``gains_many`` call for the whole batch).
        Each paragraph in turn updates ``evidence``; ``states`` (a list) gets a copy of it after
        each. ``read_as``: paragraph k is read with ``read_as[k]`` instead, which stays as it is
        (a paragraph read again). ``keep(k, chunk, start, end)``: keep only the rows of
        paragraph k it accepts (before the costly neural features). ``skip[k]``: paragraph k
        gets no rows (nor is it read), only its share of the evidence."""
        prepared = []
        skip = skip or [False] * len(batch)
        bounded = self.neural is not None and self.params.neural_pick is not None
        to_read = ["" if s else para for s, (_, para) in zip(skip, batch)]
        reading = self.neural.read(to_read) if bounded else None
        learn = read_as is None
        seen: list[tuple[decision.Row, list[float]]] = []  # rows and their seen_features
        for k, (_, para) in enumerate(batch):  # paragraph by paragraph: each updates the evidence
            now = evidence if learn else read_as[k]
            p = self._prepare(para, now, floor=self._neural_floor(), learn=learn)
            if states is not None:  # (a copy of the word counts per paragraph: cheap beside the neural LM)
                states.append(now.copy())
            if skip[k]:
                prepared.append((p, [[] for _ in p]))
                continue
            picked = self._bounded_options(p, reading, k) if bounded else [frozenset()] * len(p)
            rows = self._candidate_rows(p, now, picked)
            if keep is not None:
                rows = [[r for r in rs if keep(k, c.chunk, r.start, r.end)] for c, rs in zip(p, rows)]
            if self.neural is not None:  # (the counts as they stand after this paragraph)
                seen += [(r, self._seen(para, c, r, now.counts)) for c, rs in zip(p, rows) for r in rs]
            prepared.append((p, rows))
        if self.neural is not None:
            self._add_neural_features([para for _, para in batch], prepared, reading)
            for r, values in seen:  # (after the neural features, in NEURAL_FEATURES' order)
                r.features += values
        return prepared

    @staticmethod
    def _seen(para: str, p: _Prepared, r: decision.Row, counts) -> list[float]:
        """A row's ``decision.seen_features``."""
        toks = p.chunk.tokens
        return decision.seen_features(counts, para[toks[r.start].start : toks[r.end - 1].end], r.option.text)

    def _bounded_options(
        self, prepared: list[_Prepared], reading: neural.Reading, n: int
    ) -> list[frozenset[tuple[int, int, str]]]:
        """What the neural LM's reading of paragraph ``n`` says before any candidate is scored:
        for each word or listed phrase and each of its candidates (``Candidates.listed``: the
        short list and its tail), an upper bound on the candidate's gain from its left context
        (``NeuralLM.bounds``, no forward step) plus its channel. One-word candidates of a word
        bounded under ``params.neural_prune`` are dropped; the best of each span's short list,
        and the best of its tail (and of each, where one of several tokens is best, the best of one),
        if over ``params.neural_pick``, are asked about (their rows
        ``picked``) even where the trigram's local score ranked them out or never saw them (the
        tail). The trigram sees two words back, the neural LM the whole paragraph: on dev, the
        original of 16 % of nlpaug's substitutions was on the list but under the trigram's
        floor. Changes ``prepared``'s scores; the picked (start token, end token, text) per chunk."""
        params, written = self.params, self.lexicon.written
        queries, where = [], []
        for c, p in enumerate(prepared):
            toks = p.chunk.tokens
            for i, j, phrase in self.candidates.spans(p.chunk):
                listed = self.candidates.listed(phrase)
                if listed:
                    # (most words are lower case, and then so are their candidates but the few
                    # written with capitals: a hot loop, text.cased's answer for them)
                    if toks[i].text.islower():
                        alts = [written.get(r[0], r[0]) for r in listed]
                    else:
                        alts = [text.cased(toks[i:j], r[0], written) for r in listed]
                    queries.append((toks[i].start, toks[j - 1].end, alts))
                    where.append((c, i, j, listed, len(self.candidates.ranked(phrase))))
        picked: list[set[tuple[int, int, str]]] = [set() for _ in prepared]
        prune = params.neural_prune
        for (c, i, j, listed, short), bounds in zip(where, self.neural.bounds(reading, n, queries)):
            p = prepared[c]
            bound = {r[0]: b + r[2] for r, b in zip(listed, bounds) if not math.isnan(b)}  # r[2]: channel
            if not bound:
                continue
            scored = p.scored[i]
            if j == i + 1:
                scored = [(s, o) for s, o in scored if o.end > j or bound.get(o.text, prune) >= prune]
            # The short list's best and the tail's best are picked apart: a long tail's noise
            # mustn't take the short list's pick.
            for part in (listed[:short], listed[short:]):
                bounded = [(bound[r[0]], r) for r in part if r[0] in bound]
                if not bounded:
                    continue
                best = [max(bounded)]
                # A bound is its first token's alone, so loose for a candidate of several: "is
                # like" ties "is". Where such a one leads, the best of one token is picked too
                # ("reaction follow the" → "followed", not only "is like"). Dev, 27 Nov: phrase
                # style 30 % exact 59.8 → 61.1 %, nlpaug 30 % 63.1 → 63.5 % (phrases as the loose
                # ones), each with more precision, 3–10 % slower; then +0.8 / +0.1 (any word).
                # (one_token reads the lower-case text after a space, not the cased alternative
                # the bound was taken on: near enough for choosing what to ask, and cached)
                if not self.neural.one_token(best[0][1][0]):
                    words = [(b, r) for b, r in bounded if self.neural.one_token(r[0])]
                    if words:
                        best.append(max(words))
                for b, r in best:
                    if b <= params.neural_pick:
                        continue
                    picked[c].add((i, j, r[0]))
                    # (not scored yet: under the floor, or in the tail)
                    if not any(o.text == r[0] and o.end == j for _, o in scored):
                        option = candidates.Option(i, j, *r)
                        scored = sorted(scored + self._local_score(p, option), key=lambda x: -x[0])
            p.scored[i] = scored
        return [frozenset(x) for x in picked]

    def _local_score(self, p: _Prepared, option: candidates.Option) -> list[tuple[float, candidates.Option]]:
        """[(local score, option)] for one option, however low (``decode.local_scores``)."""
        by_start: list[list[candidates.Option]] = [[] for _ in p.words]
        by_start[option.start] = [option]
        args = (self.lm, self.params, p.start_hist, p.chunk.ends_sentence, -math.inf)
        return decode.local_scores(p.words, by_start, *args)[option.start]

    def _channel_spans(self, para: str, offset: int, evidence: DocumentEvidence) -> list[Span]:
        prepared = self._prepare(para, evidence, floor=self._neural_floor())
        costs = scoring.edit_costs(evidence.rate(self.params), evidence.sources, self.params)
        spans: list[Span] = []
        for p in prepared:
            by_start = decode.prefilter(p.scored, costs, self.params)
            if any(by_start):
                args = (self.lm, self.params, costs, p.start_hist, p.chunk.ends_sentence)
                edits = decode.viterbi(p.words, by_start, *args)
                decisions = decode.explain(p.words, edits, by_start, *args)
                spans += [_span(d, p.chunk, para, offset, self.lexicon.written) for d in decisions]
        return spans

    def screen(self, para: str) -> list[WordEvidence]:
        """A cheap pass for ``check``: each word's best local evidence, from only the top
        ``params.screen_candidates`` candidates and with no decoding. Scores at or below
        zero (no evidence) aren't computed exactly: they come back as ``-inf``."""
        word_evidence: list[WordEvidence] = []
        self._prepare(para, DocumentEvidence(counts=None), word_evidence, self.screen_candidates, floor=0.0)
        return word_evidence

    def _prepare(
        self,
        para: str,
        evidence: DocumentEvidence,
        word_evidence: list[WordEvidence] | None = None,
        cands: candidates.Candidates | None = None,
        floor: float | None = None,
        learn: bool = True,
    ) -> list[_Prepared]:
        """Pass 1: candidates and their local evidence; updates the spin-rate counts (unless
        not ``learn``: a paragraph read again).

        With ``word_evidence``, also appends one ``WordEvidence`` per word token.
        ``cands`` and ``floor`` narrow the pass (see ``screen``).
        """
        prepared = []
        sentence_start = True
        doc_cache = evidence.counts is not None and self.params.cache_weight > 0
        if doc_cache and learn:
            seen = [m.group().lower().replace("’", "'") for m in text.WORD_RE.finditer(para)]
            evidence.counts.update(seen)
            evidence.counted += len(seen)
        for chunk in text.chunks(para):
            start_hist = ("<s>",) if sentence_start else ()
            first_in_sentence = sentence_start
            sentence_start = chunk.ends_sentence
            words = [t.lower for t in chunk.tokens]
            digit = [t.has_digit for t in chunk.tokens]  # (not words: never edited alone)
            evidence.words += len(words) - sum(digit) if learn else 0
            by_start = (cands or self.candidates).options(chunk)
            if doc_cache:
                by_start = self._with_doc_gains(by_start, words, evidence)
            scored = (
                decode.local_scores(
                    words, by_start, self.lm, self.params, start_hist, chunk.ends_sentence, floor
                )
                if any(by_start)
                else None
            )
            if word_evidence is not None:
                # (the sentence ends at its last word: "… in 2010." ends at "in")
                last = max((k for k, d in enumerate(digit) if not d), default=-1)
                word_evidence += [
                    WordEvidence(
                        t.start, t.end, opts[0][0] if scored and opts else -math.inf,
                        self.lm.known(w), chunk.ends_sentence and k == last,
                    )
                    for k, (t, w, opts) in enumerate(zip(chunk.tokens, words, scored or [[]] * len(words)))
                    if not digit[k]
                ]  # fmt: skip
            if scored is None:
                continue
            for opts in scored if learn else ():
                if opts and opts[0][0] > self.params.evidence_threshold:
                    evidence.add_strong(opts[0][1].sources)
            prepared.append(_Prepared(chunk, words, start_hist, scored, first_in_sentence))
        return prepared

    def _with_doc_gains(self, by_start: list[list[candidates.Option]], words: list[str], evidence):
        """Options with their cache-LM gain over the observed word (single words on both sides)."""
        counts, total, unigram, p = evidence.counts, evidence.counted, self.lm.logp, self.params
        seen = counts.get  # (not counts[w]: a Counter's __missing__ is a slow path, and most miss)
        Option = candidates.Option

        def bonus(word: str, others: int) -> float:
            return scoring.cache_bonus(others, total, unigram(word, ()), p)

        out = []
        for observed, opts in zip(words, by_start):
            if not opts:
                out.append(opts)
                continue
            others = seen(observed, 0) - 1
            keep = bonus(observed, others) if others > 0 else 0.0  # the same for every option here
            row = []
            for o in opts:
                if o.end - o.start == 1 and len(o.words) == 1:
                    n = seen(o.words[0], 0)
                    gain = (bonus(o.words[0], n) if n else 0.0) - keep
                    if gain:  # (built directly: NamedTuple._replace is ~3x slower)
                        o = tuple.__new__(Option, (*o[:7], gain))
                row.append(o)
            out.append(row)
        return out

    def _candidate_rows(
        self,
        prepared: list[_Prepared],
        evidence: DocumentEvidence,
        picked: list[frozenset[tuple[int, int, str]]] | None = None,
    ) -> list[list[decision.Row]]:
        """Each chunk's candidate edits with their features. With the neural LM, only the
        ambiguous ones stay (``params.neural_floor``, ``params.neural_prior``): it will score
        them, and its cost is per row. ``picked`` (per chunk, see ``_bounded_options``) stay
        whatever the floor and the gatekeeper say."""
        rate = evidence.rate(self.params)
        adaptation = scoring.channel_adaptation(evidence.sources, self.params)
        picked = picked or [frozenset()] * len(prepared)
        rows = [self._rows(p, rate, adaptation, mine) for p, mine in zip(prepared, picked)]
        if self.neural is None:
            return rows
        floor = self.params.neural_floor
        rows = [[r for r in chunk_rows if r.score > floor or r.picked] for chunk_rows in rows]
        return self._worth_asking(rows)

    def _add_neural_features(
        self,
        paras: list[str],
        prepared: list[tuple[list[_Prepared], list[list[decision.Row]]]],
        reading: neural.Reading | None = None,
    ) -> None:
        """The neural features of every row of these paragraphs, from one ``gains_many`` call
        (reusing ``reading``, these paragraphs' passes, where given)."""
        items = []
        for para, (chunks, rows) in zip(paras, prepared):
            edits = []
            for p, chunk_rows in zip(chunks, rows):
                toks = p.chunk.tokens
                for r in chunk_rows:
                    replacement = text.cased(toks[r.start : r.end], r.option.text, self.lexicon.written)
                    edits.append(neural.Edit(toks[r.start].start, toks[r.end - 1].end, replacement))
            items.append((para, edits))
        for para, (_, rows), gains in zip(paras, prepared, self.neural.gains_many(items, reading)):
            decision.add_neural_features(rows, gains, sum(1 for _ in text.WORD_RE.finditer(para)))

    def _worth_asking(self, rows: list[list[decision.Row]]) -> list[list[decision.Row]]:
        """The rows the trigram decision model doesn't rule out (``Params.neural_prior``):
        the neural LM's cost is per row, and on clean text most rows are hopeless."""
        if self.neural_prior is None:
            return rows
        p = iter(self.neural_prior.probabilities([r.features for chunk_rows in rows for r in chunk_rows]))
        floor = self.params.neural_prior
        # (next(p) first: every row takes its probability, in order, whatever its flags)
        return [[r for r in rs if next(p) >= floor or r.features[_TERM] or r.picked] for rs in rows]

    def _neural_floor(self) -> float | None:
        """With the neural LM, candidates down to ``params.neural_floor`` are worth asking about."""
        if self.neural is None:
            return None
        return min(self.params.neural_floor, decode.default_floor(self.params))

    def _rows(
        self,
        p: _Prepared,
        rate: float,
        adaptation: dict[int, float],
        picked: frozenset[tuple[int, int, str]] = frozenset(),
    ) -> list[decision.Row]:
        capitalised = [t.text[:1].isupper() for t in p.chunk.tokens]
        if p.first_in_sentence:
            capitalised[0] = False
        return decision.rows_for_chunk(
            p.words, capitalised, p.scored, self.lm, self.candidates.unigram, p.start_hist, rate,
            self.params.channel_weight,
            self.params.max_options if self.neural is None else self.params.neural_options,
            adaptation, picked, self.candidates.own_forms,
        )  # fmt: skip

    def feature_rows(self, source: str) -> list[tuple[int, int, str, list[float]]]:
        """(start, end, candidate, features) for every candidate edit the decision model sees.

        Used to train that model (``bench/train_decision.py``) with exactly the
        features the engine computes at run time.
        """
        batch = list(text.paragraphs(source))
        out = []
        for (offset, _), (chunks, chunk_rows) in zip(batch, self._batch_rows(batch, DocumentEvidence())):
            for p, rows in zip(chunks, chunk_rows):
                toks = p.chunk.tokens
                out += [
                    (toks[r.start].start + offset, toks[r.end - 1].end + offset, r.option.text, r.features)
                    for r in rows
                ]
        return out


class WordEvidence(NamedTuple):
    """One word token's evidence (paragraph offsets)."""

    start: int
    end: int
    best: float  # local score of its best candidate original (-inf: none)
    known: bool  # in the LM's vocabulary
    ends_sentence: bool


@dataclass(slots=True)
class _Prepared:
    chunk: text.Chunk
    words: list[str]
    start_hist: tuple[str, ...]
    scored: list[list[tuple[float, candidates.Option]]]
    first_in_sentence: bool


@dataclass
class DocumentEvidence:
    """Running counts for a document's spin-rate estimate (see ``scoring``)."""

    words: int = 0
    strong: int = 0
    sources: dict[int, float] = field(default_factory=dict)  # strong evidence per thesaurus bit
    # The document's words so far (lower case), for the cache LM; None turns it off.
    counts: Counter | None = field(default_factory=Counter)
    counted: int = 0  # words in ``counts`` (Counter.total() would re-sum them each time)

    def copy(self) -> DocumentEvidence:
        counts = None if self.counts is None else Counter(self.counts)
        return replace(self, sources=dict(self.sources), counts=counts)

    def add_strong(self, mask: int) -> None:
        self.strong += 1
        bits = [b for b in scoring.SOURCE_BITS if mask & b]  # the thesauri the channel adapts to
        for b in bits:
            self.sources[b] = self.sources.get(b, 0.0) + 1 / len(bits)

    def rate(self, params: Params) -> float:
        return scoring.spin_rate(self.strong, self.words, params)


def decided_spans(
    model: _Model,
    para: str,
    chunks: list[_Prepared],
    chunk_rows: list[list[decision.Row]],
    margin: float = 0,
    written: Mapping[str, str] | None = None,
) -> list[Span]:
    """``model``'s edits in one paragraph (paragraph offsets), at its threshold moved by ``margin``
    (``decision.moved``), suggestions written as ``written`` says (``text.cased``); sets each
    row's probability."""
    spans = []
    every = [r for rows in chunk_rows for r in rows]  # (one call per paragraph: numpy's cost is per call)
    for r, q in zip(every, model.probabilities([r.features for r in every])):
        r.probability = q
    for p, rows in zip(chunks, chunk_rows):
        if not rows:
            continue
        # (one threshold per chunk: its rows share their paragraph's spin-rate estimate)
        threshold = decision.moved(model.threshold_for(rows[0].features), margin)
        for row, rivals in decision.choose(rows, threshold):
            d = decode.Decision(
                option=row.option,
                probability=row.probability,
                # (what its rivals don't take either: choose weighs a span by their sum)
                keep_probability=max(0.0, 1 - row.probability - sum(r.probability for r in rivals)),
                alternatives=[(r.option, r.probability) for r in rivals[:3]],
                lm_gain=row.lm_gain,
            )
            spans.append(_span(d, p.chunk, para, 0, written))
    return spans


def second_margin(model: _Model, params: Params, chunk_rows: list[list[decision.Row]]) -> float:
    """The second reading's margin for a paragraph (its rows): ``params.second_reading_margin``, or
    where its rate band says it is heavily spun (``RateThresholds.heavy``),
    ``second_reading_heavy_margin`` but never under the model's single threshold (see ``Params``)."""
    row = next((r for rows in chunk_rows for r in rows), None)
    if row is None or model.by_rate is None or not model.by_rate.heavy(row.features):
        return params.second_reading_margin
    to_single = model.threshold - model.by_rate(row.features)  # (a band's threshold + this = the single)
    return max(params.second_reading_heavy_margin, to_single)


def _in_paragraph(s: Span, regions: list[tuple[int, int, int]], para: str) -> Span:
    """A span of the paragraph read again (its first reading's edits made, ``_restored_regions``)
    in the paragraph's own offsets."""
    shift = sum(delta for _, rb, delta in regions if rb <= s.start)  # edits before it
    start, end = s.start - shift, s.end - shift
    return replace(s, start=start, end=end, observed=para[start:end])


def _restored_regions(spans: list[Span]) -> list[tuple[int, int, int]]:
    """Where each edit's suggestion lies in the restored text: (start, end, length change)."""
    out, shift = [], 0
    for s in spans:
        start = s.start + shift
        delta = len(s.suggestion) - (s.end - s.start)
        out.append((start, start + len(s.suggestion), delta))
        shift += delta
    return out


def _span(
    d: decode.Decision, chunk: text.Chunk, para: str, offset: int, written: Mapping[str, str] | None = None
) -> Span:
    toks = chunk.tokens[d.option.start : d.option.end]
    start, end = toks[0].start, toks[-1].end
    return Span(
        start=start + offset,
        end=end + offset,
        observed=para[start:end],
        suggestion=text.cased(toks, d.option.text, written),
        confidence=round(d.probability, 4),
        alternatives=tuple(
            Alternative(text.cased(toks, o.text, written), round(p, 4)) for o, p in d.alternatives
        ),
        evidence=Evidence(
            lm_gain=round(d.lm_gain, 3),
            channel=round(d.option.channel, 3),
            sources=tuple(source_names(d.option.sources)),
            keep_probability=round(d.keep_probability, 4),
        ),
    )


_DEFAULTS: dict[bool, Restorer] = {}


def make_restorer(fast: bool = False) -> Restorer:
    """A restorer with the neural re-scorer when it is installed (``unspin[neural]``) and its
    decision model ships, unless ``fast`` or ``UNSPIN_FAST=1`` in the environment; otherwise
    the trigram noisy channel alone."""
    fast = fast or bool(os.environ.get("UNSPIN_FAST"))
    if not fast and neural.available() and decision.NEURAL_MODEL_PATH.exists():
        from .check import honest_paragraphs  # (check builds on this module)

        restorer = Restorer(neural_lm=NeuralLM.load())
        restorer.honest = honest_paragraphs(restorer)
        return restorer
    return Restorer()


def neural_restorer() -> Restorer:
    """``make_restorer()`` that insists on the neural re-scorer (``ResourceError`` without it)."""
    restorer = make_restorer()
    if restorer.neural is None:
        raise ResourceError(
            "the neural re-scorer is not available: install it with `make neural` "
            "(pip install -e '.[neural]'), and unset UNSPIN_FAST"
        )
    return restorer


def default_restorer(fast: bool = False) -> Restorer:
    """The shared ``make_restorer(fast)``."""
    fast = fast or bool(os.environ.get("UNSPIN_FAST"))  # the key: one restorer per kind
    if fast not in _DEFAULTS:
        _DEFAULTS[fast] = make_restorer(fast)
    return _DEFAULTS[fast]


def restore(source: str) -> Restoration:
    """Restore ``source`` with the default models: ``restore(t).text``, ``restore(t).spans``."""
    return default_restorer().restore(source)

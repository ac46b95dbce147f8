"""Stage 2: candidate originals for every word and phrase (up to 4 tokens) of a chunk."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from .lexicon import LOG_NO_REINFLECT, Candidate, Lexicon
from .lm import TrigramLM
from .terms import TermIndex
from .text import Chunk

MAX_PHRASE = 4
_LM_SPLIT = re.compile(r"[ \-]+")
# English closed-class words (articles, pronouns, auxiliaries, common prepositions and
# conjunctions): the screening pass doesn't look them up as single words, and in a known term
# (``terms``) they must match exactly. A spinner's substitute is almost never one of these,
# and they are ~40 % of running text.
CLOSED_CLASS = frozenset(
    """a an the this that these those which who whom whose what it its it's he him his she her hers
    they them their theirs we us our ours you your yours i me my mine is are was were be been being
    am has have had do does did will would shall should can could may might must not and or but nor
    of to in on at by for with from into as than if""".split()
)


class Option(NamedTuple):
    """Replace chunk tokens ``start:end`` by ``text`` (lower case)."""

    start: int
    end: int
    text: str
    words: tuple[str, ...]  # what the LM reads
    channel: float  # log P(observed | text)
    sources: int
    unigram_gain: float = 0.0  # log P(text) - log P(observed), context-free
    doc_gain: float = 0.0  # what the document's own words say (scoring.cache_bonus), nats


_new = tuple.__new__


def lm_words(text: str) -> tuple[str, ...]:
    return tuple(w for w in _LM_SPLIT.split(text) if w)


def observed_phrases(chunk: Chunk):
    """Yield (start, end, phrase) for each run of up to MAX_PHRASE space-joined tokens."""
    toks = chunk.tokens
    for i in range(len(toks)):
        phrase = toks[i].lower
        yield i, i + 1, phrase
        for j in range(i + 1, min(i + MAX_PHRASE, len(toks))):
            if not chunk.spaced[j - 1]:
                break
            phrase += " " + toks[j].lower
            yield i, j + 1, phrase


class Candidates:
    """Candidate originals per observed word or phrase, best first, at most ``limit``.

    The context-free rank is the posterior without context, ``log P(o | c) +
    log P(c)`` with the LM's unigram ``P(c)``; only the top few go on to the
    (costly) context scoring. Cached per observed string: text is Zipfian, so
    after a few paragraphs nearly every look-up is a hit.
    """

    def __init__(
        self, lexicon: Lexicon, lm: TrigramLM, limit: int = 8, skip: frozenset[str] = frozenset(),
        source_best: bool = True, terms: TermIndex | None = None, reinflect: int = 0, tail: int = 0,
    ):  # fmt: skip
        """``skip``: single observed words never looked up (phrases starting with them still are).
        ``source_best``: also each thesaurus' best past ``limit`` (see ``lexicon.PER_SOURCE``).
        ``terms``: known multiword terms, proposed for runs of words spun one by one.
        ``reinflect``: for a dictionary form, also the inflections of its first few candidates
        (see ``_reinflected``).
        ``tail``: ``listed`` also gives this many originals past the short list (see ``_listed``)."""
        self.lexicon, self.lm, self.limit, self.skip = lexicon, lm, limit, skip
        self.source_best = source_best
        self.terms = terms
        self.reinflect = reinflect
        self.tail = tail
        self.ranked = lru_cache(maxsize=200_000)(self._ranked)
        self.listed = lru_cache(maxsize=200_000)(self._listed)
        self.unigram = lru_cache(maxsize=200_000)(self.unigram)
        self.own_forms = lru_cache(maxsize=200_000)(self.own_forms)

    def own_forms(self, observed: str) -> frozenset[str]:
        """``Lexicon.own_forms`` ("look into" → "looked into", …), cached."""
        return self.lexicon.own_forms(observed)

    def unigram(self, phrase: str) -> float:
        return self.lm.score(list(lm_words(phrase)), (), end=False)

    def _ranked(self, observed: str) -> tuple[tuple[str, tuple[str, ...], float, int, float, float], ...]:
        """Option fields after (start, end), all of them (unigram gain, no document gain yet)."""
        ranked = self.lexicon.ranked(observed)
        # The best ``limit`` by context-free rank, then each thesaurus' best and the observed
        # word's own inflections that the lexicon kept past its own cut.
        best = [c for c in ranked if not (c.own_form or c.source_best)][: self.limit]
        best += [c for c in ranked if c.own_form or (c.source_best and self.source_best)]
        if not best:
            return ()
        if self.reinflect:
            best += self._reinflected(observed, best)
        return self._fields(observed, best)

    def _listed(self, observed: str) -> tuple[tuple[str, tuple[str, ...], float, int, float, float], ...]:
        """``ranked``, then the next ``tail`` originals the lexicon links (by the same
        context-free rank): for a model cheap enough to rank a long list by context, as the
        neural LM's left-context bound is (``NeuralLM.bounds``). A broad thesaurus links a
        word to hundreds (Moby: "concurrent resolution" for "enactment"); on dev, 10 % of our
        phrase style's substitutions and 3 % of nlpaug's had their original past the short
        list but among the next 40."""
        ranked = self.ranked(observed)
        if not self.tail or observed not in self.lexicon:
            return ranked
        have = {c[0] for c in ranked}
        rest = [c for c in self.lexicon.originals(observed) if c.text not in have]
        rest = sorted(rest, key=lambda c: -(c.channel + c.unigram))[: self.tail]
        return ranked + self._fields(observed, rest)

    def _fields(self, observed: str, cands: list[Candidate]) -> tuple:
        """Option fields after (start, end) for ``observed``'s candidates ``cands``."""
        base = self.lexicon.unigram[self.lexicon.ids[observed]]  # stored at build, as self.unigram computes
        return tuple((c.text, lm_words(c.text), c.channel, c.sources, c.unigram - base, 0.0) for c in cands)

    def _reinflected(self, observed: str, best: list[Candidate]) -> list[Candidate]:
        """For a dictionary form, the other inflections of its first ``reinflect`` candidates
        that are lemmas: a spinner that pastes headwords turns "suggests" into "indicate", whose
        list has "suggest" but not, past the lexicon's cut, "suggests" (on dev, 3 % of nlpaug's
        substitutions). Channel: the lemma's, times P(left uninflected)."""
        lex = self.lexicon
        if not lex.is_base_form(observed):
            return []
        have = {c.text for c in best} | {observed}
        out, lemmas = [], 0
        for c in best:
            forms = [] if c.own_form else lex.forms(c.text)
            if not forms:
                continue
            for form in forms:
                if form not in have:
                    have.add(form)
                    channel = c.channel + LOG_NO_REINFLECT
                    out.append(c._replace(text=form, channel=channel, unigram=lex.unigram[lex.ids[form]]))
            lemmas += 1
            if lemmas == self.reinflect:
                break
        return out

    def spans(self, chunk: Chunk):
        """(start, end, phrase) of the chunk's words and runs of words worth a look-up."""
        toks = chunk.tokens
        for i, j, phrase in observed_phrases(chunk):
            if j - i > 1 and phrase not in self.lexicon:  # fast path: most word runs aren't phrases
                continue
            if j - i == 1 and (phrase in self.skip or toks[i].has_digit):
                continue
            yield i, j, phrase

    def options(self, chunk: Chunk) -> list[list[Option]]:
        """Candidate edits grouped by start token."""
        by_start: list[list[Option]] = [[] for _ in chunk.tokens]
        for i, j, phrase in self.spans(chunk):
            ranked = self.ranked(phrase)
            if ranked:
                span = (i, j)  # (tuple.__new__ skips the NamedTuple's Python-level __new__: hot path)
                by_start[i] += [_new(Option, span + c) for c in ranked]
        if self.terms is not None:
            words = [t.lower for t in chunk.tokens]
            for m in self.terms.matches(words, chunk.spaced):
                if any(o.end == m.end and o.text == m.text for o in by_start[m.start]):
                    continue  # a thesaurus lists this phrase already
                gain = self.unigram(m.text) - self.unigram(" ".join(words[m.start : m.end]))
                option = Option(m.start, m.end, m.text, lm_words(m.text), m.channel, m.sources, gain)
                by_start[m.start].append(option)
        return by_start

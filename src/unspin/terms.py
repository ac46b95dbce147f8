"""Stage 2b: known multiword terms spun word by word.

Paper mills spin a technical compound one word at a time: "artificial intelligence"
becomes "counterfeit consciousness", "signal to noise ratio" becomes "flag to commotion
proportion". No thesaurus lists the spun compound, and each word's original sits far
down its own candidate list ("artificial" is one of Moby's hundreds of links for
"counterfeit"), past the cut the context model scores. An inventory of known terms
(``thesaurus.term_inventory``, kept when the LM knows them as collocations) turns the
search around: a run of words is a candidate for a term when each word is the term's
word or is linked to it by a thesaurus (every link, uncut: the lexicon's ``tlink_*``),
and every content word is linked, not kept (a compound spun word by word; where a
word is kept, the single-word candidates serve). Function words must match exactly
("to" in "signal to noise ratio"); an inflected word keeps its inflection ("neural
organizations" → "neural networks").

The match is found pair by pair of neighbouring words. For speed, each observed word
type's reach (the term words its links may stand for) and the second words of the terms
its links start are computed once (cached), so most pairs are rejected by one set
intersection; the links themselves, with their inflected words, are spelled out only for
the words of a pair that passes.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from .lexicon import BASE, TERM, Lexicon


class Link(NamedTuple):
    """What an observed word may stand for in a term."""

    word: str  # the term's word, inflected as the observed word is
    channel: float  # log P(observed | term word); 0 for the observed word itself
    sources: int  # thesauri linking them (0: the observed word itself)
    tag: str  # the inflection carried over (lexicon.BASE: none)

    def fits(self, slot: int, last: int) -> bool:
        """Where a term inflects: a noun compound its last word ("neural networks"), a verb
        phrase its first ("turned out"); any other place is a mistaken analysis."""
        if self.tag == BASE:
            return True
        return slot == last if self.tag.startswith("NN") else slot == 0 and self.tag.startswith("VB")


class TermMatch(NamedTuple):
    """Chunk tokens ``start:end`` may be the known term ``text``, spun word by word."""

    start: int
    end: int
    text: str
    channel: float  # the sum over its linked words
    sources: int  # lexicon.TERM and the bits of its words' links


class TermIndex:
    """The known terms of a lexicon, and ``matches`` over a chunk's words."""

    def __init__(self, lexicon: Lexicon, function_words: frozenset[str]):
        self.lexicon = lexicon
        self.function_words = function_words
        ptr, words = lexicon.term_ptr, lexicon.term_word.tolist()
        self.terms = [tuple(words[ptr[k] : ptr[k + 1]]) for k in range(len(ptr) - 1)]
        self.first_of: dict[int, list[int]] = {}  # first word → the terms it starts
        for k, term in enumerate(self.terms):
            self.first_of.setdefault(term[0], []).append(k)
        self.known = set(self.terms)
        self.function_ids = {lexicon.ids[w] for w in function_words if w in lexicon.ids}
        # Bounded: a common word's link table holds hundreds of entries.
        self.links = lru_cache(maxsize=8192)(self._links)
        self.reach = lru_cache(maxsize=16384)(self._reach)
        self.seconds = lru_cache(maxsize=16384)(self._seconds)

    def _links(self, form: str) -> dict[int, list[Link]]:
        """Term words (string ids of base forms) that the observed ``form`` may stand for, each
        with its links, best first (one per analysis of ``form``: "leaves" is a noun or a verb)."""
        lex = self.lexicon
        own = lex.ids.get(form)
        out: dict[int, list[Link]] = {own: [Link(form, 0.0, 0, BASE)]} if own is not None else {}
        if form in self.function_words:
            return out
        for lemma, tag in lex.analyses(form):
            if tag != BASE:
                out.setdefault(lemma, []).append(Link(form, 0.0, 0, tag))  # its own lemma, inflected
            lo, hi = lex.tlink_ptr[lemma], lex.tlink_ptr[lemma + 1]
            for cand, logp, src in zip(
                lex.tlink_cand[lo:hi].tolist(), lex.tlink_logp[lo:hi].tolist(), lex.tlink_src[lo:hi].tolist()
            ):
                word = lex.strings[cand] if tag == BASE else lex.inflect(cand, tag)
                if word is not None:
                    out.setdefault(cand, []).append(Link(word, logp, src, tag))
        for links in out.values():
            links.sort(key=lambda link: -link.channel)
        return out

    def _reach(self, form: str) -> frozenset[int]:
        """The keys ``links(form)`` may have (a few more: an inflection it lacks isn't checked),
        read straight off the link table; ~8x cheaper per word type than spelling out the links."""
        lex = self.lexicon
        own = lex.ids.get(form)
        out = {own} if own is not None else set()
        if form in self.function_words:
            return frozenset(out)
        for lemma, _tag in lex.analyses(form):
            out.add(lemma)
            out.update(lex.tlink_cand[lex.tlink_ptr[lemma] : lex.tlink_ptr[lemma + 1]].tolist())
        return frozenset(out)

    def is_term(self, words: list[str]) -> bool:
        """Are ``words`` (lower case) a known term as they stand?"""
        return tuple(self.lexicon.ids.get(w, -1) for w in words) in self.known

    def _seconds(self, form: str) -> dict[int, list[int]]:
        """The terms whose first word ``form`` may stand for, by their second word."""
        out: dict[int, list[int]] = {}
        for w in sorted(self.reach(form) & self.first_of.keys()):  # sorted: a stable match order
            for k in self.first_of[w]:
                out.setdefault(self.terms[k][1], []).append(k)
        return out

    def matches(self, words: list[str], spaced: list[bool]) -> list[TermMatch]:
        """Known terms that runs of ``words`` (lower case) may be spun from. ``spaced[i]``:
        only a space separates word ``i`` from the next (a term doesn't cross punctuation)."""
        out = []
        n = len(words)
        for i in range(n - 1):
            if not spaced[i] or words[i] in self.function_words:
                continue
            seconds = self.seconds(words[i])
            common = seconds.keys() & self.reach(words[i + 1])
            if not common:  # the usual case: no term starts here
                continue
            for w2 in common:
                for k in seconds[w2]:
                    term = self.terms[k]
                    if i + len(term) > n:
                        continue
                    slots = []
                    last = len(term) - 1
                    for j, word in enumerate(term):
                        if j and not spaced[i + j - 1]:
                            break
                        link = next(
                            (x for x in self.links(words[i + j]).get(word, ()) if x.fits(j, last)), None
                        )
                        if link is None:
                            break
                        slots.append(link)
                    # A compound spun word by word: every content word linked, none kept. (Where
                    # some are kept, the single-word candidates cover it; matches that keep words
                    # are mostly honest phrases that happen to reach a term.)
                    if len(slots) < len(term) or not all(
                        s.sources or w in self.function_ids for s, w in zip(slots, term)
                    ):
                        continue
                    if self.is_term(words[i : i + len(term)]):
                        continue  # the text has a known term here already: don't trade it for another
                    sources = TERM
                    for s in slots:
                        sources |= s.sources
                    text = " ".join(s.word for s in slots)
                    out.append(TermMatch(i, i + len(term), text, sum(s.channel for s in slots), sources))
        return out

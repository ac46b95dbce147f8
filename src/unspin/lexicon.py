"""The compiled lexicon: for an observed (possibly spun) word, its candidate originals.

Built once at set-up from the installed thesauri (WordNet, Moby, MyThes) and
lemminflect, cached as one ``lexicon-v<N>.npz`` file that loads in well under
a second. Format — a NumPy ``.npz`` of flat arrays:

``strings``
    UTF-8 bytes of every known string (lemmas, inflected forms, phrases),
    joined by ``\\n``; a string's id is its line number.
``rev_ptr, rev_cand, rev_logp, rev_src``
    The reverse thesaurus in CSR form. The candidate originals of lemma ``o``
    are ``rev_cand[rev_ptr[o]:rev_ptr[o + 1]]`` with the channel log-probability
    ``log P(o | c)`` that a spinner turns ``c`` into ``o`` (``rev_logp``) and a
    bit mask of the thesauri that link them (``rev_src``: 1 WordNet, 2 Moby,
    4 MyThes, 8 the project's function-phrase table).
``infl_ptr, infl_form, infl_tag``
    The inflections of each string: forms (string ids) and Penn tags (indexes
    into ``tags``).
``ana_ptr, ana_lemma, ana_tag``
    The other way: each surface form's (lemma, tag) analyses.
``tags``
    Tag names, joined by ``\\n``.
``unigram``
    Each string's context-free log-probability under the trigram LM (the sum
    over its words).
``top_ptr, top_cand, top_channel, top_src``
    For every string as an observed form, its ``MAX_RANKED`` best candidate
    originals (inflections resolved) by ``log P(o | c) + log P(c)``, with their
    channel scores and sources; then, flagged by bit ``OWN_FORM`` in
    ``top_src``, the observed word's own other inflections that missed that
    cut (spinners that emit dictionary forms turn "powers" into "power", so
    "powers" must stay a candidate however many synonyms outrank it); before
    them, flagged by bit ``SOURCE_BEST``, each thesaurus' ``PER_SOURCE`` best
    originals that missed the cut.
    Computed at build time because doing it per new word type was over half
    the engine's time on fresh text.
``written_id, written``
    The strings that are written with capitals (``thesaurus.wordnet_written_forms``): their ids,
    and how each is written, joined by ``\\n``. A suggestion is shown that way whatever the
    observed word's case: "Federal Bureau of Investigation" → "FBI", not "Fbi". Left out: closed-
    class words ("us", not "US"), inflections of another lemma ("led", not "LED"), and two-letter
    capitals ("oh", not "OH": WordNet's state codes).
``term_ptr, term_word``
    The inventory of known multiword terms (``thesaurus.term_inventory``) that the
    LM knows as collocations (see ``TERM_MIN_PMI``), in CSR form: term ``k`` is the
    words ``term_word[term_ptr[k]:term_ptr[k + 1]]`` (string ids, base forms).
``tlink_ptr, tlink_cand, tlink_logp, tlink_src``
    Like ``rev_*`` but uncut and only towards the terms' content words: every
    thesaurus link from an observed lemma to a word of some term, for ``terms``
    (a technical compound spun word by word). Worked example: "counterfeit" links
    to "artificial" (Moby, far past the cut of 40), which starts the term
    "artificial intelligence".

Worked example: with ``strings`` = ``buy\\npurchase\\nbought\\npurchased``,
``rev_ptr`` = ``[0, 1, 2, 2, 2]``, ``rev_cand`` = ``[1, 0]``: the observed
lemma "purchase" (id 1) has one candidate original, "buy" (id 0). The observed
form "purchased" (id 3) has the analysis (lemma 1, tag VBD), so its candidates
are buy's inflections tagged VBD: "bought" (id 2). A candidate is never the
observed word itself nor another spelling of it (``spelling_variants``:
"organized" for "organised"): the build drops links between two spellings
before anything else, so they take no share of a word's fan-out below and no
place among the term links, and the look-up drops an inflection that is one
("traveled" for "travelled", both lemminflect's past of "travel").

Channel model: a spinner replacing ``c`` picks one of ``c``'s synonyms
uniformly in one thesaurus, so ``P(o | c) = sum over thesauri s of
w_s / fanout_s(c)``, with equal weights ``w_s``. The bilingual pivot's links
are weighted instead by how many German phrases agree on them
(``w_s · agree(c, o) / sum over o' of agree(c, o')``), and count only for
pairs that no thesaurus links (a back-off, not a fifth vote). To keep the file small and
look-ups fast we store for each ``o`` only the ``MAX_CANDIDATES`` candidates
with the highest ``P(o | c) P(c)`` (``P(c)`` from wordfreq), and the ``TWO_WAY`` highest of
those that Moby links both ways: the context model decides among those.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import resources, thesaurus

FORMAT_VERSION = 14  # 13: written forms; 14: Moby's two-way links past the cut (TWO_WAY)
MAX_CANDIDATES = 40
MAX_RANKED = 12  # short list per observed form that the context model scores (see ``ranked``)
# ...and past both cuts, each thesaurus' own best few for the observed word. A spinner draws on
# one thesaurus, but the cuts rank by all of them at once, so a big one (Moby lists hundreds of
# loose synonyms per word) would crowd out a small one's exact links (WordNet's "petroleum" for
# "oil").
PER_SOURCE = 10
# ...and Moby's two-way links (each word's entry lists the other), the best this many per observed
# word by the same P(o | c) P(c), most of them among the 40 already. The channel splits an
# original's share over its whole list, and Moby lists 672 words for "fire", so the cut of 40
# dropped "fire" for "blaze" though both entries list each other. A spinner drawing on curated
# lists uses such links. On dev (30 %, neural engine, models unchanged), coverage of a spinner
# drawing on two-way links only went 73.9 -> 87.5 % and of our moby style 82.6 -> 90.8 %, for
# 1.4-2.1 points of exact and no more false edits; nlpaug lost 0.26 points (BENCHMARKS.md,
# 2026-12-07 (7)). The file grows by a tenth.
TWO_WAY = 150
# A known term must be a collocation to the LM: log P(term) - sum of its words' log P(w), with no
# context, of at least this many nats. It keeps "signal to noise ratio" and drops GCIDE's
# archaic headwords that the LM has never seen together ("apple of love").
TERM_MIN_PMI = 3.0
# Each link source's bit in a candidate's mask (PIVOT and TERM, below, have comments of their own).
WORDNET, MOBY, MYTHES, PHRASES = 1, 2, 4, 8  # (Moby's links are the ones checked both ways: TWO_WAY)
OWN_FORM = 128  # flag in ``top_src``: an own inflection kept past the MAX_RANKED cut
SOURCE_BEST = 64  # flag in ``top_src``: one of a thesaurus' PER_SOURCE best, kept past the cut
# Links only the bilingual pivot proposes don't compete in the two cuts, only as its PER_SOURCE
# best: on our benchmark spinners (none paraphrases through translation) letting them compete
# took places from better links and cost the trigram engine 0.5-1 point of exactness (dev).
PIVOT = 16
# Not a link source: marks a candidate that is a known term matched word by word (``terms``);
# its words' links keep their own bits.
TERM = 32
SOURCES = {  # bit → source
    WORDNET: "wordnet", MOBY: "moby", MYTHES: "mythes", PHRASES: "phrases", PIVOT: "pivot", TERM: "term",
}
BASE = "BASE"  # the analysis "this form is the lemma itself"
# log P(the spinner left a substitute uninflected): a base-form substitute
# ("purchase") may stand for an inflected original ("bought").
LOG_NO_REINFLECT = math.log(0.5)
# log P(the spinner put the original's own base form in its place): WordNet
# lists a word's lemma among its synonyms, so spinners like nlpaug turn
# "kilometers" into "kilometer" and "are" into "be". 0.4 (was 0.1 before v10): at 0.1 most
# such originals fell under the neural re-scorer's local-score floor and were never asked
# about (dev, 26 Nov: +2 points of nlpaug exactness with the models retrained, BENCHMARKS.md).
LOG_OWN_LEMMA = LOG_NO_REINFLECT + math.log(0.4)


class Candidate(NamedTuple):
    text: str  # candidate original, lower case
    channel: float  # log P(observed | candidate)
    sources: int  # bit mask over SOURCES
    unigram: float  # log P(text) under the LM, no context
    own_form: bool = False  # the observed word's own inflection, listed past the MAX_RANKED cut
    source_best: bool = False  # one thesaurus' best, listed past the MAX_RANKED cut


# British and American spellings of one word, as (British pattern, American replacement) on a
# word's ending or inside it, from general knowledge of English orthography. A thesaurus lists
# both spellings as synonyms (WordNet: "organise", "organize"), but one for the other is no
# restoration: the wording is the same, and honest British text must not be flagged. On dev
# (nlpaug 30 and 50 %) such swaps were an eighth of the neural engine's false edits, and 0.4 %
# of nlpaug's substitutions (BENCHMARKS.md, 26 Nov).
_SPELLINGS = tuple(
    (re.compile(a), b)
    for a, b in (
        (r"is(ation|ations|ational|e|ed|es|ing|er|ers|able)$", r"iz\1"),  # organise, organisation
        (r"ys(e|ed|es|ing)$", r"yz\1"),  # analyse
        (r"(?<=..)our(s|ed|ing|ite|ites|able|ful|hood|less)?$", r"or\1"),  # colour, favourite
        (r"(?<=..)ourabl", "orabl"),  # honourably
        (r"(?<=[bt])re(s)?$", r"er\1"),  # centre, fibre
        (r"ogue(s)?$", r"og\1"),  # catalogue
        (r"([aeiou][^aeiou]*[ea])ll(ed|ing|er|ers)$", r"\1l\2"),  # travelled, not called
        (r"ence(s)?$", r"ense\1"),  # defence, licence
        (r"gramme(s)?$", r"gram\1"),  # programme
        (r"dgement(s)?$", r"dgment\1"),  # judgement
        (r"(?<=[a-z])(ae|oe)(?=[a-z])", "e"),  # encyclopaedia, manoeuvre
        (r"-", ""),  # co-operate, e-mail
    )
)


@lru_cache(maxsize=200_000)
def _canonical_spelling(text: str) -> str:
    """``text`` (lower case) with British spellings made American: "organisation" → "organization"."""
    words = []
    for w in text.split(" "):
        for pattern, replacement in _SPELLINGS:
            w = pattern.sub(replacement, w)
        words.append(w)
    return " ".join(words)


def spelling_variants(a: str, b: str) -> bool:
    """Whether two different lower-case strings are spellings of the same words ("colour", "color")."""
    # (the build asks about every link: most pairs differ in their first letter or length)
    if a[:1] != b[:1] or abs(len(a) - len(b)) > 2 or a == b:
        return False
    return _canonical_spelling(a) == _canonical_spelling(b)


def source_names(mask: int) -> list[str]:
    return [name for bit, name in SOURCES.items() if mask & bit]


class Lexicon:
    """Loaded lexicon; ``originals(observed)`` is the public look-up."""

    def __init__(self, path: Path):
        with np.load(path) as z:
            # Tuples, not lists: the garbage collector stops tracking a tuple of strings or numbers
            # once it has seen it, but walks every item of a list at every full collection
            # (~50 ms here for these tables, several times a second while caches grow).
            self.strings = tuple(z["strings"].tobytes().decode("utf-8").split("\n"))
            self.tags = tuple(z["tags"].tobytes().decode("utf-8").split("\n"))
            arrays = {k: z[k] for k in z.files if k not in ("strings", "tags")}
        self.ids = {s: i for i, s in enumerate(self.strings)}
        written = arrays.pop("written").tobytes().decode("utf-8")
        written_ids = arrays.pop("written_id").tolist()
        forms = written.split("\n") if written else ()
        self.written = dict(zip((self.strings[i] for i in written_ids), forms))
        # Plain tuples index faster than NumPy scalars in the hot path (tuples: see above).
        for key in ("rev_ptr", "ana_ptr", "infl_ptr", "top_ptr", "unigram", "term_ptr", "tlink_ptr"):
            if key not in arrays:  # top_* are absent while the file is being built
                continue
            arrays[key] = tuple(arrays[key].tolist())
        self.__dict__.update(arrays)
        self.originals = lru_cache(maxsize=200_000)(self._originals)
        # Candidate lemmas recur across observed words: decode their inflections once.
        self._inflections = lru_cache(maxsize=100_000)(self._inflections)

    def __contains__(self, text: str) -> bool:
        return text in self.ids

    def _reverse(self, lemma: int) -> list[tuple[int, float, int]]:
        lo, hi = self.rev_ptr[lemma], self.rev_ptr[lemma + 1]
        return list(
            zip(self.rev_cand[lo:hi].tolist(), self.rev_logp[lo:hi].tolist(), self.rev_src[lo:hi].tolist())
        )

    def _inflections(self, lemma: int) -> list[tuple[int, str]]:
        lo, hi = self.infl_ptr[lemma], self.infl_ptr[lemma + 1]
        return [
            (f, self.tags[t]) for f, t in zip(self.infl_form[lo:hi].tolist(), self.infl_tag[lo:hi].tolist())
        ]

    def inflect(self, lemma: int, tag: str) -> str | None:
        """``lemma``'s form for Penn ``tag`` ("network", NNS → "networks"), if it has one."""
        for form, t in self._inflections(lemma):
            if t == tag:
                return self.strings[form]
        return None

    def written_form(self, text: str) -> str | None:
        """How ``text`` (lower case) is written where the thesauri write it with capitals only
        ("fbi" → "FBI", "white house" → "White House"); else None."""
        return self.written.get(text)

    def forms(self, lemma: str) -> list[str]:
        """``lemma``'s other inflections ("suggest" → "suggests", "suggested", …); none for a
        string that isn't a lemma."""
        i = self.ids.get(lemma)
        return [] if i is None else [self.strings[f] for f, _t in self._inflections(i) if f != i]

    def own_forms(self, form: str) -> frozenset[str]:
        """``form``'s own other inflections if it is a dictionary form ("rule" → "rules",
        "ruled", …), else none: what a spinner that pastes lemmas may have turned into ``form``."""
        return frozenset(self.forms(form)) if self.is_base_form(form) else frozenset()

    def is_base_form(self, form: str) -> bool:
        """Whether ``form`` is a dictionary form with thesaurus links of its own."""
        return any(tag == BASE for _, tag in self.analyses(form))

    def analyses(self, form: str) -> list[tuple[int, str]]:
        i = self.ids.get(form)
        if i is None:
            return []
        lo, hi = self.ana_ptr[i], self.ana_ptr[i + 1]
        out = [(i, BASE)] if self.rev_ptr[i + 1] > self.rev_ptr[i] else []
        out += [
            (lem, self.tags[t])
            for lem, t in zip(self.ana_lemma[lo:hi].tolist(), self.ana_tag[lo:hi].tolist())
        ]
        return out

    def ranked(self, observed: str) -> list[Candidate]:
        """The precomputed short list: the best ``MAX_RANKED`` originals by ``P(o | c) P(c)``,
        then each thesaurus' best few and the observed word's own inflections that missed the cut."""
        i = self.ids.get(observed)
        if i is None:
            return []
        lo, hi = self.top_ptr[i], self.top_ptr[i + 1]
        ids = self.top_cand[lo:hi].tolist()
        return [
            Candidate(
                self.strings[c], ch, src & ~(OWN_FORM | SOURCE_BEST), self.unigram[c],
                bool(src & OWN_FORM), bool(src & SOURCE_BEST),
            )  # fmt: skip
            for c, ch, src in zip(ids, self.top_channel[lo:hi].tolist(), self.top_src[lo:hi].tolist())
        ]

    def rank_all(self, k: int) -> dict[str, np.ndarray]:
        """Arrays ``top_*`` (CSR, like ``rev_*``) holding ``ranked`` for every string."""
        ptr, cand, channel, src = [0], [], [], []
        for s in self.strings:
            originals = sorted(self._originals(s), key=lambda c: -(c.channel + c.unigram))
            own = self.own_forms(s)
            top = [c for c in originals if c.sources != PIVOT][:k]
            rest = [c for c in originals if c not in top]
            # (the observed word's own forms are listed anyway: they don't take a thesaurus' place)
            linked = [c for c in originals if c.text not in own]
            best_of = {c.text for bit in SOURCES for c in [c for c in linked if c.sources & bit][:PER_SOURCE]}
            source_best = [c for c in rest if c.text in best_of]
            own_forms = [c for c in rest if c.text in own and c.text not in best_of]
            for flag, group in ((0, top), (SOURCE_BEST, source_best), (OWN_FORM, own_forms)):
                for c in group:
                    cand.append(self.ids[c.text])
                    channel.append(c.channel)
                    src.append(c.sources | flag)
            ptr.append(len(cand))
        return {
            "top_ptr": np.array(ptr, dtype=np.int64),
            "top_cand": np.array(cand, dtype=np.int32),
            "top_channel": np.array(channel, dtype=np.float32),
            "top_src": np.array(src, dtype=np.uint8),
        }

    def _originals(self, observed: str) -> tuple[Candidate, ...]:
        """Candidate originals of ``observed`` (lower case), best channel score per text."""
        best: dict[str, Candidate] = {}

        def add(text_id: int, channel: float, src: int) -> None:
            text = self.strings[text_id]
            old = best.get(text)
            if text == observed or spelling_variants(text, observed):
                return
            if old is None or channel > old.channel:
                sources = src | (old.sources if old else 0)
                best[text] = Candidate(text, channel, sources, self.unigram[text_id])
            elif src & ~old.sources:  # a weaker link still says which thesauri know the pair
                best[text] = old._replace(sources=old.sources | src)

        for lemma, tag in self.analyses(observed):
            if tag == BASE:
                for form, _t in self._inflections(lemma):
                    add(form, LOG_OWN_LEMMA, 1)
            for cand, channel, src in self._reverse(lemma):
                if tag == BASE:
                    add(cand, channel, src)
                    for form, _t in self._inflections(cand):
                        add(form, channel + LOG_NO_REINFLECT, src)
                else:
                    for form, t in self._inflections(cand):
                        if t == tag:
                            add(form, channel, src)
        return tuple(sorted(best.values(), key=lambda c: -c.channel))


def default_path() -> Path:
    return resources.cache_dir() / f"lexicon-v{FORMAT_VERSION}.npz"


_LOADED: dict[Path, Lexicon] = {}


def load(path: Path | None = None, build_if_missing: bool = True) -> Lexicon:
    """Load the compiled lexicon, building it first if it isn't cached yet."""
    path = path or default_path()
    if path not in _LOADED:
        if not path.exists():
            if not build_if_missing:
                raise resources.ResourceError(f"lexicon not built: {path} (run `unspin build`)")
            build(path)
        _LOADED[path] = Lexicon(path)
    return _LOADED[path]


# --------------------------------------------------------------------------- building


class _Interner(dict):
    def __missing__(self, key: str) -> int:
        self[key] = n = len(self)
        return n


def _pair_array(pairs, intern: _Interner) -> tuple[np.ndarray, np.ndarray]:
    """Unique undirected links as an (n, 2) array of string ids, and each link's weight (1)."""
    flat = np.fromiter((intern[w] for pair in pairs for w in pair), dtype=np.int64)
    pairs = flat.reshape(-1, 2)
    both = np.unique(np.concatenate([pairs, pairs[:, ::-1]]), axis=0)  # links are undirected
    return both, np.ones(len(both))


def _weighted_pair_array(triples, intern: _Interner) -> tuple[np.ndarray, np.ndarray]:
    """The same for (a, b, weight) links that are already unique."""
    triples = list(triples)
    pairs = np.array([(intern[a], intern[b]) for a, b, _w in triples], dtype=np.int64).reshape(-1, 2)
    weights = np.array([w for _a, _b, w in triples], dtype=np.float64)
    return np.concatenate([pairs, pairs[:, ::-1]]), np.concatenate([weights, weights])


def _without_spelling_variants(pairs: np.ndarray, weights: np.ndarray, strings: list[str]):
    """``pairs`` and ``weights`` less the links between two spellings of one word: a thesaurus
    that lists "organize" for "organise" lists the same word, not a synonym (see ``_SPELLINGS``)."""
    variant = np.fromiter(
        (spelling_variants(strings[a], strings[b]) for a, b in pairs.tolist()), dtype=bool, count=len(pairs)
    )
    return pairs[~variant], weights[~variant]


def _inflection_table(strings: list[str], wordnet_pos: dict[str, set[str]]):
    """(lemma id, form string, tag) for every known lemma, using lemminflect.

    Multiword verbs inflect their first word ("look into" → "looked into"),
    multiword nouns their last ("white house" → "white houses"). A phrase WordNet doesn't
    list (most of Moby's) is taken for a verb when its first word is a verb's base form
    ("be extant" → "is extant") and for a noun when its last is a noun's ("little fellow" →
    "little fellows"): spinners inflect the phrases they put in, and an observed "is extant"
    must be found to be looked up.
    """
    from lemminflect import getAllInflections, getAllLemmas

    rows = []
    for i, s in enumerate(strings):
        words = s.split(" ")
        if len(words) == 1:
            for tag, forms in getAllInflections(s).items():
                rows += [(i, f.lower(), tag) for f in forms]
        else:
            pos = wordnet_pos.get(s) or {
                p
                for p, word, upos in (("v", words[0], "VERB"), ("n", words[-1], "NOUN"))
                if word in getAllLemmas(word, upos=upos).get(upos, ())
            }
            if "v" in pos:
                for tag, forms in getAllInflections(words[0], upos="VERB").items():
                    rows += [(i, " ".join([f.lower(), *words[1:]]), tag) for f in forms]
            if "n" in pos:
                for f in getAllInflections(words[-1], upos="NOUN").get("NNS", ()):
                    rows.append((i, " ".join([*words[:-1], f.lower()]), "NNS"))
    return rows


def _known_terms(model) -> list[str]:
    """The inventory's terms whose words the LM knows and that it knows as collocations."""
    out = []
    for term in thesaurus.term_inventory():
        words = term.split(" ")
        if not all(model.known(w) for w in words):
            continue
        pmi = model.score(words, (), end=False) - sum(model.logp(w, ()) for w in words)
        if pmi >= TERM_MIN_PMI:
            out.append(term)
    return out


def _written_forms(ids: dict[str, int], inflected: set[int]) -> dict[int, str]:
    """String id (``ids``: the build's string table) → its written form, for the strings WordNet
    writes with capitals only, less those that are likelier a plain word (see ``written`` in the
    module docstring)."""
    from .candidates import CLOSED_CLASS

    out = {}
    for low, form in thesaurus.wordnet_written_forms().items():
        i = ids.get(low)
        if i is None or low in CLOSED_CLASS or i in inflected or (form.isupper() and len(form) < 3):
            continue
        out[i] = form
    return out


def _best_per_observed(obs: np.ndarray, score: np.ndarray, k: int) -> np.ndarray:
    """Mask of the ``k`` highest-scoring entries per value of ``obs``."""
    order = np.lexsort((-score, obs))
    starts = np.searchsorted(obs[order], obs[order], side="left")
    mask = np.zeros(len(obs), dtype=bool)
    mask[order[(np.arange(len(obs)) - starts) < k]] = True
    return mask


def _csr(keys: np.ndarray, n: int, *columns: np.ndarray):
    order = np.argsort(keys, kind="stable")
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(ptr, keys + 1, 1)
    return (np.cumsum(ptr),) + tuple(c[order] for c in columns)


def build(path: Path | None = None, verbose: bool = True) -> Path:
    """Compile the lexicon from the installed thesauri into ``path`` (atomically)."""
    from wordfreq import word_frequency

    path = path or default_path()
    t0 = time.time()
    log = print if verbose else (lambda *a, **k: None)
    intern = _Interner()
    wordnet_pos: dict[str, set[str]] = {}
    for pos, lemmas in thesaurus.wordnet_synsets():
        for lemma in lemmas:
            wordnet_pos.setdefault(lemma, set()).add(pos)
    sources = [
        (WORDNET, _pair_array(thesaurus.wordnet_pairs(), intern)),
        (MOBY, _pair_array(thesaurus.moby_pairs(), intern)),
    ]
    if resources.mythes_path() is not None:
        sources.append((MYTHES, _pair_array(thesaurus.mythes_pairs(), intern)))
    sources.append((PHRASES, _pair_array(thesaurus.phrase_pairs(), intern)))
    if resources.dictd_dir() is not None:
        sources.append((PIVOT, _weighted_pair_array(thesaurus.pivot_pairs(), intern)))
    log(f"thesauri read: {len(intern):,} strings ({time.time() - t0:.1f}s)")
    from .candidates import CLOSED_CLASS, lm_words
    from .lm import TrigramLM

    model = TrigramLM()
    terms = [[intern[w] for w in t.split(" ")] for t in _known_terms(model)]
    log(f"{len(terms):,} known multiword terms ({time.time() - t0:.1f}s)")

    # Channel model P(o | c): each source weighs a link by its share of c's links' weight
    # (1 / fan-out of c where every link weighs 1). The pivot is a back-off: it speaks only
    # for pairs no thesaurus links, and takes no share from the thesauri (see PIVOT). Two
    # spellings of one word are no link, and count in no fan-out.
    n = len(intern)
    strings = list(intern)
    sources = [(bit, _without_spelling_variants(*links, strings)) for bit, links in sources]
    thesauri = sum(bit != PIVOT for bit, _ in sources)
    key_parts, prob_parts, src_parts = [], [], []
    two_way = np.zeros(0, dtype=np.int64)
    for bit, (pairs, weights) in sources:
        c, o = pairs[:, 0], pairs[:, 1]
        total = np.bincount(c, weights=weights, minlength=n)
        key, p = o * n + c, weights / thesauri / total[c]
        if bit == MOBY:  # the links whose reverse it makes too (see TWO_WAY)
            two_way = key[np.isin(key, c * n + o)]
        if bit == PIVOT:
            new = ~np.isin(key, np.concatenate(key_parts))
            key, p, c = key[new], p[new], c[new]
        key_parts.append(key)
        prob_parts.append(p)
        src_parts.append(np.full(len(c), bit, dtype=np.uint8))
    keys = np.concatenate(key_parts)
    uniq, inverse = np.unique(keys, return_inverse=True)
    prob = np.zeros(len(uniq))
    np.add.at(prob, inverse, np.concatenate(prob_parts))
    src = np.zeros(len(uniq), dtype=np.uint8)
    np.bitwise_or.at(src, inverse, np.concatenate(src_parts))
    obs, cand = uniq // n, uniq % n
    log(f"{len(uniq):,} synonym links ({time.time() - t0:.1f}s)")
    # Every link towards a term's content word, uncut (see ``terms``).
    # (sorted: interning a set in its hash order made two builds' string ids differ)
    content = np.array(sorted({w for t in terms for w in t} - {intern[w] for w in sorted(CLOSED_CLASS)}))
    to_term = np.isin(cand, content)
    tlink = _csr(obs[to_term], n, cand[to_term], np.log(prob[to_term]).astype(np.float32), src[to_term])
    term = _csr(np.repeat(np.arange(len(terms)), [len(t) for t in terms]), len(terms),
                np.array([w for t in terms for w in t], dtype=np.int64))  # fmt: skip

    # Keep the MAX_CANDIDATES best candidates per observed word by P(o|c) P(c), and each
    # thesaurus' PER_SOURCE best by its own P_s(o|c) P(c) (see PER_SOURCE).
    log_freq = np.log(np.array([max(word_frequency(s, "en"), 1e-9) for s in strings]))
    logp = np.log(prob)
    posterior = np.where(src == PIVOT, -np.inf, logp + log_freq[cand])
    keep = _best_per_observed(obs, posterior, MAX_CANDIDATES)
    for key, p in zip(key_parts, prob_parts):
        best = key[_best_per_observed(key // n, np.log(p) + log_freq[key % n], PER_SOURCE)]
        keep |= np.isin(uniq, best)
    both = np.flatnonzero(np.isin(uniq, two_way))
    keep[both[_best_per_observed(obs[both], posterior[both], TWO_WAY)]] = True
    obs, cand, logp, src = obs[keep], cand[keep], logp[keep], src[keep]
    log(f"{len(obs):,} links kept after pruning ({time.time() - t0:.1f}s)")

    # Inflections; new forms join the string table.
    rows = _inflection_table(strings, wordnet_pos)
    tags = sorted({t for _, _, t in rows})
    tag_id = {t: i for i, t in enumerate(tags)}
    lemma_ids = np.array([r[0] for r in rows], dtype=np.int64)
    form_ids = np.array([intern[r[1]] for r in rows], dtype=np.int64)
    tag_ids = np.array([tag_id[r[2]] for r in rows], dtype=np.int64)
    not_self = form_ids != lemma_ids
    n = len(intern)
    strings = list(intern)
    log(f"{len(rows):,} inflections, {n:,} strings ({time.time() - t0:.1f}s)")

    rev = _csr(obs, n, cand, logp.astype(np.float32), src)
    # (links and terms were indexed before the inflections joined: pad their pointers)
    tlink = (np.concatenate([tlink[0], np.full(n + 1 - len(tlink[0]), tlink[0][-1])]), *tlink[1:])
    infl = _csr(lemma_ids, n, form_ids, tag_ids.astype(np.uint8))
    ana = _csr(form_ids[not_self], n, lemma_ids[not_self], tag_ids[not_self].astype(np.uint8))
    unigram = np.array([model.score(list(lm_words(s)), (), end=False) for s in strings], dtype=np.float32)
    log(f"unigram scores ({time.time() - t0:.1f}s)")
    written = _written_forms(intern, inflected=set(form_ids[not_self].tolist()))  # (.get: no new ids)
    arrays = dict(
        strings=np.frombuffer("\n".join(strings).encode(), dtype=np.uint8),
        tags=np.frombuffer("\n".join(tags).encode(), dtype=np.uint8),
        rev_ptr=rev[0], rev_cand=rev[1].astype(np.int32), rev_logp=rev[2], rev_src=rev[3],
        infl_ptr=infl[0], infl_form=infl[1].astype(np.int32), infl_tag=infl[2],
        ana_ptr=ana[0], ana_lemma=ana[1].astype(np.int32), ana_tag=ana[2], unigram=unigram,
        term_ptr=term[0], term_word=term[1].astype(np.int32),
        tlink_ptr=tlink[0], tlink_cand=tlink[1].astype(np.int32), tlink_logp=tlink[2], tlink_src=tlink[3],
        written_id=np.array(sorted(written), dtype=np.int32),
        written=np.frombuffer("\n".join(written[i] for i in sorted(written)).encode(), dtype=np.uint8),
    )  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    _save(path, arrays)
    # The ranked short lists need the look-ups above: load what we just wrote, rank, rewrite.
    arrays.update(Lexicon(path).rank_all(MAX_RANKED))
    _save(path, arrays)
    log(f"lexicon written to {path} ({path.stat().st_size / 1e6:.0f} MB, {time.time() - t0:.1f}s)")
    return path


def _save(path: Path, arrays: dict[str, np.ndarray]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
    with os.fdopen(fd, "wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, path)  # atomic: a reader never sees half a file

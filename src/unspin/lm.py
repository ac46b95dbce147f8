"""Stage 3a: the context model — a trigram LM over lower-case words.

The default model is the CMU Sphinx generic US-English trigram LM that ships
inside the ``pocketsphinx`` wheel (72k words, 2M bigrams, 1.7M trigrams),
looked up through pocketsphinx's own C functions (``_trigram.c``) where that
helper was built, else through pocketsphinx's Python wrapper: the same scores.
Scores are natural-log probabilities.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from functools import lru_cache

from . import resources

# pocketsphinx reports log base 1.0001.
_TO_NATS = math.log(1.0001)
# Words outside the LM's vocabulary get a unigram estimate from wordfreq,
# discounted: the LM saw them never, and a spinner's rare synonyms often are.
_OOV_DISCOUNT = math.log(0.1)
_FLOOR = 1e-9


# The cache is cleared past this many keys: bounded memory on huge inputs.
_CACHE_LIMIT = 2_000_000
# pocketsphinx answers a word it doesn't know with "log 0", far under this.
_OOV_BELOW = -1000.0


def _compiled_model(path: str):  # -> unspin._trigram.Model | None
    """pocketsphinx's look-up called from C (``_trigram.c``): ``prob("house white the")``, the
    same integer as ``NGramModel.prob(["house", "white", "the"])`` at about half the cost (on
    spun text most look-ups are new trigrams, BENCHMARKS.md 6 Dec). None where the helper
    wasn't built or can't find pocketsphinx's functions; set ``UNSPIN_PURE_LM=1`` to skip it."""
    if os.environ.get("UNSPIN_PURE_LM"):
        return None
    try:
        import pocketsphinx._pocketsphinx as library

        from . import _trigram
    except ImportError:
        return None
    try:
        return _trigram.Model(library.__file__, path)
    except (OSError, ValueError):  # a pocketsphinx without these symbols: the wrapper will do
        return None


class TrigramLM:
    """``logp(word, history)``: log P(word | last two words).

    Histories are tuples of at most two words, **most recent first** — the
    order pocketsphinx wants — so the hot path builds its key with one
    concatenation; ``extend(history, word)`` makes the next one.
    """

    def __init__(self, path: str | os.PathLike | None = None):
        path = str(path or resources.trigram_lm_path())
        # A plain dict beats lru_cache here: the hot path is a single get(). Keys are the words
        # joined by spaces, most recent first ("house white the"), not tuples: a dict of strings
        # and floats is never tracked by the garbage collector, whose full collections walked
        # a tuple-keyed cache (~10 % of restore's time, BENCHMARKS.md 26 Nov). Words have no spaces.
        # Never rebound: the compiled scorer holds this dict.
        self.cache: dict[str, float] = {}
        self.oov: set[str] = set()  # words the model doesn't know, as look-ups find them
        compiled = _compiled_model(path)
        #: which look-up answers: "compiled" (``_trigram.c``) or "pocketsphinx" (its Python wrapper)
        self.backend = "compiled" if compiled else "pocketsphinx"
        if compiled is None:
            from pocketsphinx import Config, LogMath, NGramModel

            model = NGramModel(Config(), LogMath(), path)
            self._prob: Callable[[str], int] = lambda key: model.prob(key.split(" "))
        else:
            from ._trigram import Scorer

            self._prob = compiled.prob
            # The same loop as score_terms below, in C (the engine's hot path): same floats.
            scorer = Scorer(compiled, self.cache, self._oov, _TO_NATS, _OOV_BELOW, _CACHE_LIMIT)
            self.score_terms = scorer.score
        # Load wordfreq's table for unknown words now (wordfreq keeps it): its import and table take
        # ~0.25 s, which the first unknown word of the first text would otherwise pay, a quarter to a
        # third of ``restore --fast``'s time on a first 7,000 words (BENCHMARKS.md 7 Dec).
        oov_logp("the")

    def logp(self, word: str, history: tuple[str, ...]) -> float:
        key = " ".join((word, *history))  # (see self.cache)
        p = self.cache.get(key)
        return self.look_up(key) if p is None else p

    def look_up(self, key: str) -> float:
        """``logp`` of a cache key ("house white the") the cache doesn't have yet. The hot
        loop (``decode.local_scores``) builds the key itself and calls this on a miss: half
        of a cold restore's time is misses, and the key is what the compiled look-up reads."""
        p = self._prob(key) * _TO_NATS
        if p < _OOV_BELOW:
            p = self._oov(key.split(" ", 1)[0])
        if len(self.cache) > _CACHE_LIMIT:
            self.cache.clear()
        self.cache[key] = p
        return p

    def _oov(self, word: str) -> float:
        self.oov.add(word)
        return oov_logp(word)

    def score_terms(
        self, words: tuple[str, ...], history: tuple[str, ...], start: float, floor: float
    ) -> float:
        """``start`` + log P(each of ``words`` | the two before it), ``history`` before the first;
        the sum so far once it drops under ``floor`` (every term is <= 0, so it can only drop).
        The engine's hot path (``decode.local_scores``): where ``_trigram.c`` was built, a C
        version of this same loop replaces it on the instance."""
        cached, look_up = self.cache.get, self.look_up
        # The history is carried as the cache key's tail ("white the"), not a tuple: one
        # string concatenation per look-up instead of a tuple and a join.
        tail, last = " ".join(history), history[0] if history else ""
        for w in words:
            key = w + " " + tail if tail else w
            p = cached(key)
            start += look_up(key) if p is None else p
            if start < floor:
                break
            tail, last = (w + " " + last if tail else w), w
        return start

    def known(self, word: str) -> bool:
        """Is ``word`` in the LM's vocabulary?"""
        if word not in self.cache:
            self.logp(word, ())
        return word not in self.oov

    def score(self, words: list[str], history: tuple[str, ...] = ("<s>",), end: bool = True) -> float:
        """Log-probability of a word sequence (for tests and diagnostics)."""
        total = 0.0
        for w in [*words, "</s>"] if end else words:
            total += self.logp(w, history)
            history = extend(history, w)
        return total


def extend(history: tuple[str, ...], word: str) -> tuple[str, ...]:
    """The history after ``word``: most recent first, two words at most."""
    return (word, history[0]) if history else (word,)


def history_of(words: list[str]) -> tuple[str, ...]:
    """History tuple for a run of words given oldest first."""
    return tuple(words[-1:-3:-1])


@lru_cache(maxsize=100_000)
def oov_logp(word: str) -> float:
    from wordfreq import word_frequency

    return math.log(max(word_frequency(word, "en"), _FLOOR)) + _OOV_DISCOUNT


_DEFAULT: TrigramLM | None = None


def load() -> TrigramLM:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = TrigramLM()
    return _DEFAULT

"""The spinner: rewrite text the way article spinners do, with a gold record of every swap.

Spinners replace words and phrases by thesaurus "synonyms" regardless of
sense, most re-inflecting to keep tense and number. Styles:

``wordnet``  the first WordNet synonym of the word's most frequent sense, as simple spinners do;
``anysense`` a random WordNet synonym from any sense of the word, any part of speech: blind to
             sense, as most spinners are ("spring" the season → "fountain");
``moby``     a random synonym from the broad Moby thesaurus;
``headword`` a random WordNet synonym of any sense pasted as the thesaurus lists it, in its
             dictionary form: careless spinners don't re-inflect, and since WordNet lists a word's
             own lemma among its synonyms, an inflected word may come back as its own base form
             ("workers" → "worker", "embodies" → "embody");
``synset``   a random sense of the word, then a random word of that sense, pasted as WordNet
             lists it, as a spinner that walks WordNet's synsets does: a sense lists the word's
             own lemma beside its synonyms (and many list nothing else), so an inflected word
             comes back as its own base form far more often than in ``headword``;
``phrase``   multiword entries first: phrases out, phrases in (``look into`` → ``investigate``),
             including the project's function-phrase table (``in order to`` → ``so as to``);
``mixed``    each swap picks one of wordnet, anysense, headword, moby and phrase at random.

The spinner and the restorer draw on the same thesauri, so restoration
numbers on this spinner's output are in-distribution (the benchmark labels
them so).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import asdict, dataclass
from functools import cached_property, lru_cache

from . import text, thesaurus
from .candidates import observed_phrases

STYLES = ("wordnet", "anysense", "headword", "moby", "phrase", "mixed", "synset")
# What ``mixed`` picks from. (``synset`` came later; adding it here would change every mixed
# text, and the models trained on them.)
_SINGLE_STYLES = ("wordnet", "anysense", "headword", "moby", "phrase")
_LEMMA_TAGS = ("NN", "VB", "JJ", "RB")


@dataclass(frozen=True, slots=True)
class SpinEdit:
    orig_start: int
    orig_end: int
    spun_start: int
    spun_end: int
    original: str
    substitute: str


@dataclass(slots=True)
class SpinResult:
    original: str
    spun: str
    edits: list[SpinEdit]

    def to_dict(self) -> dict:
        return {"original": self.original, "spun": self.spun, "edits": [asdict(e) for e in self.edits]}


class Spinner:
    """Holds the forward synonym tables; ``spin`` is deterministic given the seed."""

    @cached_property
    def wordnet(self) -> dict[str, list[str]]:
        """lemma → synonyms, most frequent sense first (WordNet's index order)."""
        return thesaurus.wordnet_by_sense(senses=self.wordnet_senses)  # (WordNet's files read once)

    @cached_property
    def wordnet_senses(self) -> dict[str, list[tuple[str, ...]]]:
        """lemma → the words of each of its senses, itself included."""
        return thesaurus.wordnet_senses()

    @cached_property
    def moby(self) -> dict[str, list[str]]:
        table: dict[str, list[str]] = {}
        for head, syn in thesaurus.moby_pairs():
            table.setdefault(head, []).append(syn)
        return table

    @cached_property
    def phrases(self) -> dict[str, list[str]]:
        table: dict[str, list[str]] = {}
        for a, b in thesaurus.phrase_pairs():
            table.setdefault(a, []).append(b)
        return table

    def synonyms(self, lemma: str, style: str) -> list[str]:
        table = self.wordnet if style in ("wordnet", "anysense", "headword") else self.moby
        syns = table.get(lemma, [])
        if style == "phrase":
            syns = self.phrases.get(lemma, []) + syns + self.wordnet.get(lemma, [])
        return syns

    def spin(
        self,
        source: str,
        rate: float = 0.3,
        seed: int = 0,
        style: str = "mixed",
        protect_entities: bool = False,
    ) -> SpinResult:
        if style not in STYLES:
            raise ValueError(f"unknown style {style!r}; choose from {', '.join(STYLES)}")
        # Same input + seed ⇒ same output, independent of PYTHONHASHSEED.
        digest = hashlib.sha256(f"{seed}\0{style}\0{rate}\0{source}".encode()).digest()
        rng = random.Random(int.from_bytes(digest[:8], "big"))
        swaps: list[tuple[int, int, str]] = []  # (start, end, substitute) in source offsets
        for offset, para in text.paragraphs(source):
            first_in_sentence = True
            for chunk in text.chunks(para, offset):
                swaps += self._spin_chunk(chunk, rate, rng, style, protect_entities, first_in_sentence)
                first_in_sentence = chunk.ends_sentence
        return _apply(source, swaps)

    def _spin_chunk(self, chunk, rate, rng, style, protect_entities, first_in_sentence):
        toks = chunk.tokens
        # A source's numbers stay as they are, and no swap starts at or takes in one (so the
        # draws, and the spun text, are what they were when numbers broke chunks).
        digits = [t.has_digit for t in toks]
        by_start: dict[int, list[tuple[int, str]]] = {}
        for i, j, phrase in observed_phrases(chunk):
            if not any(digits[i:j]):
                by_start.setdefault(i, []).append((j, phrase))
        swaps = []
        i = 0
        while i < len(toks):
            if digits[i]:
                i += 1
                continue
            if rng.random() >= rate:
                i += 1
                continue
            this_style = rng.choice(_SINGLE_STYLES) if style == "mixed" else style
            entity = protect_entities and toks[i].text[:1].isupper() and not (i == 0 and first_in_sentence)
            choice = None if entity else self._choose(by_start[i], this_style, rng)
            if choice is None:
                i += 1
                continue
            j, substitute = choice
            observed = toks[i:j]
            swaps.append((observed[0].start, observed[-1].end, text.cased(observed, substitute)))
            i = j
        return swaps

    def _choose(self, phrases: list[tuple[int, str]], style: str, rng: random.Random):
        # Longest phrase first when spinning phrases; single words otherwise.
        order = sorted(phrases, key=lambda p: -p[0]) if style == "phrase" else phrases[:1]
        for end, phrase in order:
            if style == "synset":
                senses = self._senses(phrase)
                if senses:
                    return end, rng.choice(rng.choice(senses))
                continue
            options = [s for s in self._inflected_synonyms(phrase, style) if s != phrase]
            if style == "phrase" and any(" " in s for s in options) and rng.random() < 0.7:
                options = [s for s in options if " " in s]
            if options:
                pick = options[0] if style == "wordnet" else rng.choice(options)
                return end, pick
        return None

    @lru_cache(maxsize=100_000)  # noqa: B019 - one Spinner per process; the cache is the point
    def _senses(self, phrase: str) -> tuple[tuple[str, ...], ...]:
        """The senses of ``phrase`` and of its lemmas, each as its words other than ``phrase``
        (the lemma itself stays: "rules" → ("rule", "regulation")); empty ones left out."""
        lemmas = dict.fromkeys(lemma for lemma, _tag in _analyses(phrase))
        senses = [sense for lemma in lemmas for sense in self.wordnet_senses.get(lemma, ())]
        senses = [tuple(w for w in sense if w != phrase) for sense in senses]
        return tuple(s for s in senses if s)

    @lru_cache(maxsize=100_000)  # noqa: B019 - one Spinner per process; the cache is the point
    def _inflected_synonyms(self, phrase: str, style: str) -> tuple[str, ...]:
        """Synonyms of ``phrase`` in the same inflection (tense, number) as ``phrase``; for the
        ``headword`` style, as the thesaurus lists them, its own lemma first if it is inflected."""
        out: list[str] = []
        for lemma, tag in _analyses(phrase):
            if style == "headword":
                forms = ([lemma] if tag else []) + self.synonyms(lemma, style)
            else:
                forms = [syn if tag is None else _inflect(syn, tag) for syn in self.synonyms(lemma, style)]
            out += [f for f in dict.fromkeys(forms) if f and f not in out]
        return tuple(out)


def _analyses(phrase: str) -> list[tuple[str, str | None]]:
    """(lemma, tag) readings of a word or phrase; tag None means "use as is"."""
    from lemminflect import getAllInflections, getAllLemmas

    words = phrase.split(" ")
    if len(words) > 1:
        return [(phrase, None)]
    out: list[tuple[str, str | None]] = [(phrase, None)]
    for lemmas in getAllLemmas(phrase).values():
        for lemma in lemmas:
            if lemma == phrase:
                continue
            for tag, forms in getAllInflections(lemma).items():
                if phrase in forms and tag[:2] in _LEMMA_TAGS and tag not in ("NN", "VB", "JJ", "RB", "VBP"):
                    out.append((lemma, tag))
    return out


@lru_cache(maxsize=200_000)
def _inflect(lemma: str, tag: str) -> str | None:
    from lemminflect import getAllInflections

    words = lemma.split(" ")
    head = 0 if tag.startswith("VB") else len(words) - 1
    # Dictionary forms only: rule-made ones give "berylliumed" for a noun read as a verb.
    forms = getAllInflections(words[head]).get(tag)
    if not forms:
        return None
    words[head] = forms[0]
    return " ".join(words)


def _apply(source: str, swaps: list[tuple[int, int, str]]) -> SpinResult:
    parts: list[str] = []
    edits: list[SpinEdit] = []
    pos = out_len = 0
    for start, end, sub in swaps:
        kept = source[pos:start]
        parts += [kept, sub]
        out_len += len(kept)
        edits.append(SpinEdit(start, end, out_len, out_len + len(sub), source[start:end], sub))
        out_len += len(sub)
        pos = end
    parts.append(source[pos:])
    return SpinResult(source, "".join(parts), edits)


_DEFAULT: Spinner | None = None


def spin(source: str, rate: float = 0.3, seed: int = 0, style: str = "mixed", protect_entities: bool = False):
    """Spin ``source``; returns a ``SpinResult`` with ``.spun`` and gold ``.edits``."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Spinner()
    return _DEFAULT.spin(source, rate=rate, seed=seed, style=style, protect_entities=protect_entities)

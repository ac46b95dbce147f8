"""Readers for the installed thesauri, each yielding synonym links as word pairs.

All entries are lower-cased and multiword entries use spaces ("look into").
Links are read as undirected: a spinner may have used either side as the
replacement, and the channel model weighs each link by the fan-out of the
original word (see ``lexicon``). One source isn't a thesaurus: ``pivot_pairs``
finds paraphrases in Debian's German-English dictionaries, weighted by how
many German phrases agree on them.
"""

from __future__ import annotations

import gzip
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

from . import resources

WORDNET_POS = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}
_ADJ_MARKER = re.compile(r"\([a-z]+\)$")
_ANNOTATION = re.compile(r" \((generic|related|similar|antonym)[^)]*\)$")


def _norm(word: str) -> str:
    return word.replace("_", " ").strip().lower()


def _wordnet_data(root: Path | None = None) -> Iterator[tuple[str, str, list[str]]]:
    """(pos, synset offset, its words as WordNet writes them: "White House", "FBI") for every
    synset of the data.* files."""
    root = root or resources.wordnet_dir()
    for name, pos in WORDNET_POS.items():
        with open(root / f"data.{name}", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  "):  # licence header
                    continue
                fields = line.split(" ", 4 + 2 * 256)
                raw = fields[4 : 4 + 2 * int(fields[3], 16) : 2]  # (word, lex id) pairs: the words
                yield pos, fields[0], [_ADJ_MARKER.sub("", w).replace("_", " ").strip() for w in raw]


def wordnet_synsets(root: Path | None = None) -> Iterator[tuple[str, list[str]]]:
    """Yield (pos, lemmas) for every WordNet synset, read straight from data.* files."""
    for pos, _offset, words in _wordnet_data(root):
        yield pos, list(dict.fromkeys(w.lower() for w in words))


def wordnet_senses(root: Path | None = None) -> dict[str, list[tuple[str, ...]]]:
    """lemma → the lemmas of each of its senses (itself included), in WordNet's order (most
    frequent sense first): ``"rule"`` → ``[("rule", "regulation"), ("rule", "formula"), …]``."""
    root = root or resources.wordnet_dir()
    synsets: dict[tuple[str, str], tuple[str, ...]] = {}
    for pos, offset, words in _wordnet_data(root):
        synsets[(pos, offset)] = tuple(w.lower() for w in words)  # (a word may repeat: markers stripped)
    table: dict[str, list[tuple[str, ...]]] = {}
    for name, pos in WORDNET_POS.items():
        with open(root / f"index.{name}", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  "):
                    continue
                fields = line.split()
                lemma, count = _norm(fields[0]), int(fields[2])
                senses = table.setdefault(lemma, [])
                offsets = fields[len(fields) - count :]
                senses += [synsets[(pos, off)] for off in offsets if (pos, off) in synsets]
    return table


def wordnet_by_sense(
    root: Path | None = None, senses: dict[str, list[tuple[str, ...]]] | None = None
) -> dict[str, list[str]]:
    """lemma → its synonyms, senses in WordNet's order (most frequent first); from ``senses``
    (``wordnet_senses``) where the caller has read them already."""
    table: dict[str, list[str]] = {}
    for lemma, its_senses in (senses if senses is not None else wordnet_senses(root)).items():
        syns = table[lemma] = []
        for sense in its_senses:
            syns += [w for w in sense if w != lemma and w not in syns]
    return table


def wordnet_written_forms(root: Path | None = None) -> dict[str, str]:
    """Lower-case lemma → how WordNet writes it, for lemmas it writes one way only and not in
    lower case: ``"fbi"`` → ``"FBI"``, ``"white house"`` → ``"White House"``; none for
    ``"march"`` ("March" and "march") or ``"spring"``."""
    seen: dict[str, set[str]] = {}
    for _pos, _offset, words in _wordnet_data(root):
        for w in words:
            seen.setdefault(w.lower(), set()).add(w)
    return {low: next(iter(ws)) for low, ws in seen.items() if len(ws) == 1 and low not in ws}


def wordnet_pairs(root: Path | None = None) -> Iterator[tuple[str, str]]:
    for _pos, lemmas in wordnet_synsets(root):
        for a in lemmas:
            for b in lemmas:
                if a != b:
                    yield a, b


PHRASE_TABLE = Path(__file__).parent / "data" / "function_phrases.txt"


def phrase_groups(path: Path = PHRASE_TABLE) -> Iterator[list[str]]:
    """The project's table of interchangeable function phrases, one group per line."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                yield [_norm(p) for p in line.split("|") if p.strip()]


def phrase_pairs(path: Path = PHRASE_TABLE) -> Iterator[tuple[str, str]]:
    for group in phrase_groups(path):
        for a in group:
            for b in group:
                if a != b:
                    yield a, b


def moby_pairs(path: Path | None = None) -> Iterator[tuple[str, str]]:
    """Moby: one line per headword, ``head,syn,syn,...``."""
    path = path or resources.moby_path()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            head, *syns = (_norm(w) for w in line.rstrip("\n").split(","))
            for s in syns:
                if s and s != head:
                    yield head, s


def mythes_pairs(path: Path | None = None) -> Iterator[tuple[str, str]]:
    """MyThes: ``word|nsenses`` then nsenses lines ``(pos)|syn|syn (generic term)|...``.

    We keep plain synonyms and "(similar term)" links; generic terms
    (hypernyms), related terms and antonyms are not things a spinner swaps in.
    """
    path = path or resources.mythes_path()
    if path is None:
        return
    with open(path, encoding="utf-8", errors="replace") as f:
        f.readline()  # encoding line
        for line in f:
            head, _, n = line.rstrip("\n").rpartition("|")
            head = _norm(head)
            for _ in range(int(n)):
                for syn in f.readline().rstrip("\n").split("|")[1:]:
                    if "(" in syn and "(similar term)" not in syn:
                        continue
                    syn = _norm(_ANNOTATION.sub("", syn))
                    if syn and syn != head:
                        yield head, syn


# --------------------------------------------------------------------------- bilingual pivot
#
# Two English phrases that translate the same German phrase are likely paraphrases (how PPDB
# was built). Debian's German-English dictionaries give the translations; a pair counts the
# German phrases that agree on it, and one German phrase is too thin to trust ("Bank": bank,
# bench), so only pairs with PIVOT_MIN_AGREEMENT or more are kept.

PIVOT_DICTIONARIES = {  # dictd name → which side its headwords are on
    "german-english": "de", "english-german": "en",  # dict-de-en (Ding, TU Chemnitz)
    "freedict-deu-eng": "de", "freedict-eng-deu": "en",  # dict-freedict-*
}  # fmt: skip
PIVOT_MIN_AGREEMENT = 2
PIVOT_MAX_FANOUT = 20  # a German phrase with more English translations is too polysemous to pivot on
_DICTD_DIGITS = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}  # noqa: E501
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\]]*\]|\{[^}]*\}|<[^>]*>|/[^/]*/")
_PLACEHOLDER = re.compile(r"\b(sb|sth|jdn|jdm|jds|etw)\b\.?('s)?")
_ENGLISH_PHRASE = re.compile(r"^[a-z][a-z' -]*$")


def _dictd_number(digits: str) -> int:
    """dictd's index numbers: base 64, most significant digit first ("Bt" → 1 · 64 + 45 = 109)."""
    n = 0
    for c in digits:
        n = n * 64 + _DICTD_DIGITS[c]
    return n


def dictd_entries(directory: Path, name: str) -> Iterator[list[str]]:
    """The lines of each entry of dictd dictionary ``name`` (``name.index`` + ``name.dict.dz``).

    The index has one line per headword, ``head<TAB>offset<TAB>length`` with numbers in
    dictd's base 64; several headwords may share an entry, which is read once.
    """
    with gzip.open(directory / f"{name}.dict.dz") as f:  # dictzip is plain gzip to a reader
        data = f.read()
    seen = set()
    with open(directory / f"{name}.index", encoding="utf-8", errors="replace") as f:
        for line in f:
            head, offset, length = line.rstrip("\n").split("\t")[:3]
            if head.startswith("00database") or head.startswith("00-database") or offset in seen:
                continue
            seen.add(offset)
            start = _dictd_number(offset)
            yield data[start : start + _dictd_number(length)].decode("utf-8", "replace").split("\n")


def _clean_phrase(phrase: str) -> str:
    """Drop glosses, labels and placeholders: "(to sb./sth.) aversion [coll.]" → "aversion"."""
    phrase = _PLACEHOLDER.sub(" ", _BRACKETED.sub(" ", phrase))
    return " ".join(phrase.replace("/", " ").split()).strip(" .,;:!?").lower()


def _translations(lines: list[str], freedict: bool) -> tuple[str, list[str]]:
    """(headword, translations) of one entry. Ding: head, a grammar line, then the
    translations after three spaces, ";"-separated. FreeDict: "head /IPA/ <pos>", then
    the translations on the next line, ","-separated."""
    if freedict:
        return lines[0], (lines[1].split(",") if len(lines) > 1 else [])
    body = [line for line in lines[1:] if line.startswith("   ")]
    return lines[0], (body[-1].split(";") if body else [])


def _english(phrase: str) -> str | None:
    phrase = _clean_phrase(phrase)
    phrase = phrase[3:] if phrase.startswith("to ") else phrase  # infinitive marker
    if _ENGLISH_PHRASE.match(phrase) and len(phrase.split()) <= 4:
        return phrase
    return None


def pivot_pairs(directory: Path | None = None) -> Iterator[tuple[str, str, int]]:
    """(english, english, agreeing German phrases) for paraphrases found by pivoting."""
    directory = directory or resources.dictd_dir()
    if directory is None:
        return
    english_of: dict[str, set[str]] = defaultdict(set)
    for name, side in PIVOT_DICTIONARIES.items():
        if not (directory / f"{name}.index").exists():
            continue
        for lines in dictd_entries(directory, name):
            head, translations = _translations(lines, name.startswith("freedict"))
            for t in translations:
                german, english = (head, t) if side == "de" else (t, head)
                german, english = _clean_phrase(german), _english(english)
                if german and english:
                    english_of[german].add(english)
    agreement: Counter[tuple[str, str]] = Counter()
    for phrases in english_of.values():
        if len(phrases) <= PIVOT_MAX_FANOUT:
            agreement.update(itertools.combinations(sorted(phrases), 2))
    for (a, b), n in agreement.items():
        # "car" / "car hire firms": a German compound's parts, not paraphrases
        words_a, words_b = set(a.split()), set(b.split())
        if n >= PIVOT_MIN_AGREEMENT and not (words_a <= words_b or words_b <= words_a):
            yield a, b, n


# --------------------------------------------------------------------------- known terms
#
# Paper mills spin a technical compound one word at a time ("counterfeit consciousness" for
# "artificial intelligence"), and no thesaurus lists the result. An inventory of known
# multiword terms lets the engine propose the compound (see ``terms``).

TERM_DICTIONARIES = ("foldoc", "gcide")  # Debian dict-foldoc (computing), dict-gcide (general)
_TERM = re.compile(r"^[a-z]+(?: [a-z]+){1,3}$")  # 2–4 plain words


def term_inventory(wordnet_root: Path | None = None, dictd: Path | None = None) -> Iterator[str]:
    """Known multiword terms, lower case, hyphens as spaces, each once: WordNet's multiword
    lemmas and the multiword headwords of Debian's FOLDOC and GCIDE dictionaries."""
    dictd = dictd or resources.dictd_dir()
    seen: set[str] = set()

    def normal(term: str) -> str | None:
        term = " ".join(term.lower().replace("-", " ").split())
        if term in seen or not _TERM.match(term):
            return None
        seen.add(term)
        return term

    for _pos, lemmas in wordnet_synsets(wordnet_root):
        for lemma in lemmas:
            if term := normal(lemma):
                yield term
    for name in TERM_DICTIONARIES:
        index = dictd / f"{name}.index" if dictd else None
        if index is None or not index.exists():
            continue
        with open(index, encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.startswith("00") and (term := normal(line.split("\t", 1)[0])):
                    yield term

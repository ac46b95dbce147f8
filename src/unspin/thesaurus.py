"""Readers for the installed thesauri, each yielding synonym links as word pairs.

All entries are lower-cased and multiword entries use spaces ("look into").
Links are read as undirected: a spinner may have used either side as the
replacement, and the channel model weighs each link by the fan-out of the
original word (see ``lexicon``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from . import resources

WORDNET_POS = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}
_ADJ_MARKER = re.compile(r"\([a-z]+\)$")
_ANNOTATION = re.compile(r" \((generic|related|similar|antonym)[^)]*\)$")


def _norm(word: str) -> str:
    return word.replace("_", " ").strip().lower()


def wordnet_synsets(root: Path | None = None) -> Iterator[tuple[str, list[str]]]:
    """Yield (pos, lemmas) for every WordNet synset, read straight from data.* files."""
    root = root or resources.wordnet_dir()
    for name, pos in WORDNET_POS.items():
        with open(root / f"data.{name}", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  "):  # licence header
                    continue
                fields = line.split(" ", 4 + 2 * 256)
                count = int(fields[3], 16)
                lemmas = [_norm(_ADJ_MARKER.sub("", w)) for w in fields[4 : 4 + 2 * count : 2]]
                yield pos, list(dict.fromkeys(lemmas))


def wordnet_by_sense(root: Path | None = None) -> dict[str, list[str]]:
    """lemma → its synonyms, senses in WordNet's order (most frequent first)."""
    root = root or resources.wordnet_dir()
    synsets: dict[tuple[str, str], list[str]] = {}
    for name, pos in WORDNET_POS.items():
        with open(root / f"data.{name}", encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.startswith("  "):
                    fields = line.split(" ", 4 + 2 * 256)
                    count = int(fields[3], 16)
                    words = [_norm(_ADJ_MARKER.sub("", w)) for w in fields[4 : 4 + 2 * count : 2]]
                    synsets[(pos, fields[0])] = words
    table: dict[str, list[str]] = {}
    for name, pos in WORDNET_POS.items():
        with open(root / f"index.{name}", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  "):
                    continue
                fields = line.split()
                lemma, count = _norm(fields[0]), int(fields[2])
                syns = table.setdefault(lemma, [])
                for offset in fields[len(fields) - count :]:
                    syns += [w for w in synsets.get((pos, offset), ()) if w != lemma and w not in syns]
    return table


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

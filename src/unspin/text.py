"""Stage 1: text → tokens with character offsets, grouped into LM chunks.

Every token keeps its offsets into the caller's string, so results are spans
over the original text, never re-tokenized guesses. Only tokens can be edited
(words: letters with internal apostrophes; a token with a digit only inside a
listed phrase); everything between them is kept as it is.

A *chunk* is a run of tokens the language model reads as one stream:
commas, hyphens and plain spaces don't break it (the speech LM we use has no
punctuation), but sentence punctuation, brackets, quotes and line breaks do.
Numbers are tokens of a chunk ("in 2010 the", "atomic number 2"), so a spun
phrase with a digit in it can be looked up; a token with a digit is never
edited on its own (``Token.has_digit``). The speech LM has no digits: it reads a
number as an unknown word, which costs the same whatever surrounds it and leaves
the next word without context, as a chunk break did. ``ends_sentence`` says
whether the chunk closes a sentence, so the LM can add the ``</s>`` probability
only where a sentence really ends.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

# Letters with internal apostrophes ("don't", "company's", "o’clock"): the words counted
# in rates and benchmarks.
WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# What chunks are made of: words, numbers and words with digits ("2010", "3rd", "1960s").
TOKEN_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_DIGIT_RE = re.compile(r"\d")
# Anything between two words that keeps them in one LM chunk.
JOINER_RE = re.compile(r"[ \t\u00a0]*(?:[,\-–—/][ \t\u00a0]*)?")
SENTENCE_END_RE = re.compile(r"[.!?…]")
# Longest run of text processed as one paragraph; longer lines are cut at a
# space so a single huge line can't blow up memory or time.
MAX_PARAGRAPH_CHARS = 20_000


class InputError(ValueError):
    """Input that can't be read as text (binary, wrong encoding)."""


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    text: str

    @property
    def lower(self) -> str:
        return self.text.lower().replace("’", "'")

    @property
    def has_digit(self) -> bool:
        """A number or a word with digits ("2010", "3rd", "MD5"): never looked up, counted or
        edited on its own, only inside a listed phrase. Honest text is full of "3rd" and
        "1990s", and their spelled-out forms gain a lot in an LM without digits."""
        return _DIGIT_RE.search(self.text) is not None


@dataclass(slots=True)
class Chunk:
    """Tokens the LM reads as one stream; ``spaced[i]`` is True when only
    whitespace separates token i from token i+1 (a phrase edit may span it)."""

    tokens: list[Token]
    spaced: list[bool]
    ends_sentence: bool


def chunks(text: str, offset: int = 0) -> Iterator[Chunk]:
    """Split ``text`` into LM chunks; offsets are shifted by ``offset``."""
    tokens: list[Token] = []
    spaced: list[bool] = []
    last_end = 0
    for m in TOKEN_RE.finditer(text):
        if tokens:
            gap = text[last_end : m.start()]
            if JOINER_RE.fullmatch(gap):
                spaced.append(gap.strip(" \t\u00a0") == "" and gap != "")
            else:
                yield Chunk(tokens, spaced + [False], bool(SENTENCE_END_RE.search(gap)))
                tokens, spaced = [], []
        tokens.append(Token(m.start() + offset, m.end() + offset, m.group()))
        last_end = m.end()
    if tokens:
        yield Chunk(tokens, spaced + [False], True)


def paragraphs(text: str) -> Iterator[tuple[int, str]]:
    """Yield (offset, paragraph) pieces: blank-line separated, long ones cut.

    Restoration works paragraph by paragraph, so memory stays flat however
    long the input is.
    """
    pos = 0
    for m in re.finditer(r"\n[ \t\r]*\n", text):  # \r: CRLF files
        yield from _cut(pos, text[pos : m.end()])
        pos = m.end()
    if pos < len(text):
        yield from _cut(pos, text[pos:])


def _cut(offset: int, para: str) -> Iterator[tuple[int, str]]:
    while len(para) > MAX_PARAGRAPH_CHARS:
        cut = para.rfind(" ", MAX_PARAGRAPH_CHARS // 2, MAX_PARAGRAPH_CHARS)
        cut = MAX_PARAGRAPH_CHARS if cut < 0 else cut + 1
        yield offset, para[:cut]
        offset, para = offset + cut, para[cut:]
    if para:
        yield offset, para


def check_not_binary(head: bytes, name: str = "input") -> None:
    """Text files have no NUL bytes; binary formats nearly always do, early on."""
    if b"\x00" in head[:8192]:
        raise InputError(f"{name}: looks like a binary file (contains NUL bytes)")


def decode_bytes(data: bytes, encoding: str = "utf-8", name: str = "input") -> str:
    """Decode input bytes, refusing binary data with a one-line reason."""
    check_not_binary(data, name)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        raise InputError(
            f"{name}: not valid {encoding} (byte {e.start}); pass --encoding to read another encoding"
        ) from None
    except LookupError:
        raise InputError(f"unknown encoding: {encoding}") from None
    return text  # a BOM is kept: output must equal the input outside edits


def cased(tokens: Sequence[Token], word: str, written: Mapping[str, str] | None = None) -> str:
    """``word`` (lower case) put in place of ``tokens`` with their capitalisation: "Pale Home" →
    "White House", "FIRED" → "DISMISSED". A word that is written with capitals (``written``:
    ``Lexicon.written_form``'s table) keeps its own: "Federal Bureau of Investigation" → "FBI", not
    "Fbi"; "the agency" → "the FBI"; in shouted text ("PALE HOME") all capitals still."""
    form = written.get(word) if written else None
    if form is not None:
        observed = " ".join(t.text for t in tokens)
        shouted = len(observed) > 1 and observed.isupper() and written.get(observed.lower()) != observed
        return form.upper() if shouted else form
    if len(tokens) > 1 and all(t.text[:1].isupper() for t in tokens):
        return " ".join(match_case(tokens[0].text, w) for w in word.split(" "))
    return match_case(tokens[0].text, word)


def match_case(model: str, word: str) -> str:
    """Give ``word`` the capitalisation pattern of ``model`` (the observed text)."""
    if model.isupper() and len(model) > 1:
        return word.upper()
    if model[:1].isupper():
        return word[:1].upper() + word[1:]
    return word

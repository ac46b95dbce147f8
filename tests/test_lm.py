"""The trigram LM's two look-ups: the compiled helper (``_trigram.c``) and pocketsphinx's
Python wrapper must give the same scores.

Without the compiled helper the comparison is skipped, unless ``UNSPIN_REQUIRE_COMPILED_LM``
is set (``make test`` sets it: `pip install -e .` builds the helper there)."""

import math
import os
import random
import subprocess
import sys
import types
from pathlib import Path

import pytest

from unspin import lm, resources, text

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def compiled_model():
    try:
        import pocketsphinx._pocketsphinx as library

        from unspin import _trigram
    except ImportError as e:
        if os.environ.get("UNSPIN_REQUIRE_COMPILED_LM"):
            raise RuntimeError("unspin._trigram wasn't built (UNSPIN_REQUIRE_COMPILED_LM is set)") from e
        pytest.skip("unspin._trigram wasn't built")
    return _trigram.Model(library.__file__, str(resources.trigram_lm_path()))


def wrapper_model():
    from pocketsphinx import Config, LogMath, NGramModel

    return NGramModel(Config(), LogMath(), str(resources.trigram_lm_path()))


def sample_keys() -> list[str]:
    """Cache keys as the engine makes them (a word, then up to two before it, most recent
    first) from the bundled examples, shuffled into unseen trigrams too, with words the LM
    doesn't know, sentence marks, capitals and non-ASCII letters."""
    words = [w.lower() for f in ("original.txt", "spun.txt") for w in text.WORD_RE.findall(
        (EXAMPLES / f).read_text())]  # fmt: skip
    words += ["<s>", "</s>", "zzqxv", "House", "café", "naïve", "東京", "a-b", "o'clock", "'s", "ab" * 300]
    rng = random.Random(0)
    keys = []
    for seq in (words, rng.sample(words, len(words))):
        for i, w in enumerate(seq):
            keys += [w, f"{w} {seq[i - 1]}", f"{w} {seq[i - 1]} {seq[i - 2]}"]
    return keys


def test_the_compiled_look_up_answers_as_pocketsphinx_does():
    compiled, wrapper = compiled_model(), wrapper_model()
    keys = sample_keys()
    assert len(keys) > 1000
    differ = [k for k in keys if compiled.prob(k) != wrapper.prob(k.split(" "))]
    assert differ == []
    # and the sample does reach all three orders and the unknown-word answer
    assert len({compiled.prob(k) for k in keys}) > 500
    assert any(compiled.prob(k) < -1000 / lm._TO_NATS for k in keys)


def test_a_key_of_more_than_three_words_is_refused():
    compiled = compiled_model()
    with pytest.raises(ValueError):
        compiled.prob("the white house today")
    with pytest.raises(TypeError):
        compiled.prob(b"house white the")


def test_the_compiled_scoring_loop_gives_the_same_floats_and_fills_the_cache_alike():
    """``TrigramLM.score_terms`` in C against the same method in Python: the sum (to the last
    bit), where it stops at the floor, the cache's keys and values, and the unknown words."""
    model = lm.TrigramLM()
    if model.backend != "compiled":
        compiled_model()  # skips, or fails where the helper is required
    python_loop = types.MethodType(lm.TrigramLM.score_terms, model)
    words = [k.split(" ")[0] for k in sample_keys()[::3]]
    rng = random.Random(1)
    stopped = 0
    for _ in range(2000):
        run = tuple(rng.sample(words, rng.randint(1, 4)))
        history = tuple(rng.sample(words, rng.randint(0, 2)))
        start, floor = rng.uniform(-5, 5), rng.choice([-math.inf, -6.0, -15.0])
        results = []
        for score_terms in (python_loop, model.score_terms):
            model.cache.clear()
            model.oov.clear()
            results.append((score_terms(run, history, start, floor), dict(model.cache), set(model.oov)))
        assert results[0] == results[1]
        stopped += results[0][0] < floor
    assert stopped > 100  # the floor was reached often enough to test where the loop stops


def test_the_lm_scores_the_same_without_the_compiled_look_up(monkeypatch):
    words = ["the", "white", "house", "said", "on", "zzqxv", "monday"]
    fast = lm.TrigramLM()
    monkeypatch.setenv("UNSPIN_PURE_LM", "1")
    pure = lm.TrigramLM()
    assert pure.backend == "pocketsphinx"
    assert fast.score(words) == pure.score(words)
    assert fast.oov == pure.oov == {"zzqxv"}


def test_the_unknown_words_table_is_loaded_with_the_model():
    # In a fresh interpreter: the first unknown word of the first text must not pay for
    # importing wordfreq and reading its table (a quarter to a third of a first text's time).
    probe = (
        "import sys\n"
        "from unspin import lm\n"
        "model = lm.TrigramLM()\n"
        "before = set(sys.modules)\n"
        "lm.oov_logp('qzxvbnmw')\n"
        "print(sorted(set(sys.modules) - before))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

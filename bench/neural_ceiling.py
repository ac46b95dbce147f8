"""How fast can the neural engine be on this machine? Its words/s, against what the LM allows.

    .venv/bin/python bench/neural_ceiling.py [--words 3000] [--split dev]

The neural engine's cost is Gemma's forward passes: the text's own tokens (each reading of a
paragraph, the second reading included) and each candidate's tokens with its right context.
This prints, on this machine:

- the LM's raw speed: tokens/s of one plain forward pass of 256 tokens (the engine packs its
  passes to about that size), and of the softmax normaliser over the English vocabulary;
- the text's tokens per word, and how many tokens the engine puts through the LM per word of
  clean and of spun text (nlpaug at 30 %), base passes and candidates apart;
- the ceiling those give, ``LM tokens/s ÷ tokens per word``: for one reading of the text alone,
  and for what the engine reads, next to the engine's measured words/s.

No speed of the engine can beat one reading of the text, whatever it decides to ask.
"""

from __future__ import annotations

import argparse
import time

import torch

from unspin.bench.run import select_documents, spun_items
from unspin.restore import neural_restorer


def lm_tokens_per_s(restorer, n: int = 256, reps: int = 5) -> tuple[float, float]:
    """(forward pass, normaliser) tokens/s on ``n`` tokens of random ids."""
    lm = restorer.neural
    ids = torch.randint(1000, 20000, (1, n))
    with torch.inference_mode():
        lm.model.model(input_ids=ids)  # warm-up
        t = time.perf_counter()
        for _ in range(reps):
            hidden = lm.model.model(input_ids=ids).last_hidden_state[0]
        forward = n * reps / (time.perf_counter() - t)
        t = time.perf_counter()
        for _ in range(reps):
            lm._normaliser(hidden)
        normaliser = n * reps / (time.perf_counter() - t)
    return forward, normaliser


def engine_tokens(restorer, texts: list[str]) -> dict:
    """Words/s of ``restore`` over ``texts``, and the tokens it put through the LM per word."""
    lm = restorer.neural
    counts = {"base": 0, "candidates": 0}
    read_pack, row_scores = lm._read_pack, lm._row_scores

    def counting_read(segments, bases, ends):
        counts["base"] += sum(len(b) for b in bases)
        return read_pack(segments, bases, ends)

    def counting_rows(hidden, cache, rows, first_z):
        counts["candidates"] += sum(len(ids) for *_, ids in rows)
        return row_scores(hidden, cache, rows, first_z)

    lm._read_pack, lm._row_scores = counting_read, counting_rows
    try:
        words = sum(len(t.split()) for t in texts)
        t = time.perf_counter()
        for text in texts:
            restorer.restore(text)
        seconds = time.perf_counter() - t
    finally:
        lm._read_pack, lm._row_scores = read_pack, row_scores
    text_tokens = sum(len(lm.tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts)
    return {
        "words/s": words / seconds,
        "text": text_tokens / words,
        "base": counts["base"] / words,
        "candidates": counts["candidates"] / words,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=3000)
    ap.add_argument("--split", default="dev")
    args = ap.parse_args()
    restorer = neural_restorer()
    forward, normaliser = lm_tokens_per_s(restorer)
    dtype = next(restorer.neural.model.parameters()).dtype
    print(
        f"LM: {forward:,.0f} tokens/s forward, {normaliser:,.0f} tokens/s normaliser "
        f"({torch.get_num_threads()} threads, {dtype})"
    )
    docs = select_documents(args.split, args.words)
    restorer.restore(docs[0].text)  # warm-up: caches, lazy tables
    for name, texts in (
        ("clean", [d.text for d in docs]),
        ("nlpaug 30 %", [spun for spun, _ in spun_items("nlpaug", 0.3, docs)]),
    ):
        e = engine_tokens(restorer, texts)
        read = e["base"] + e["candidates"]
        print(
            f"{name}: {e['text']:.2f} tokens/word; the engine reads {read:.2f} tokens/word "
            f"({e['base']:.2f} base, {e['candidates']:.2f} candidates); ceiling one reading "
            f"{forward / e['text']:,.0f} words/s, as read {forward / read:,.0f} words/s; "
            f"measured {e['words/s']:,.0f} words/s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

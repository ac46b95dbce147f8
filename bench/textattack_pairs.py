"""Held-out pairs from a second spinner we did not write: TextAttack's ``WordSwapWordNet``.

Two steps, in two environments (TextAttack needs ``transformers<5``, which the neural extra's
doesn't allow, and 1.9 GB besides):

    .venv/bin/python bench/textattack_pairs.py export --split test --words 12000 > docs.jsonl
    TA/bin/python bench/textattack_pairs.py spin docs.jsonl 0.1 0.3 > pairs.jsonl
    .venv/bin/unspin bench --pairs pairs.jsonl [--neural]

where TA is a virtual environment made with
``python3.11 -m venv TA && TA/bin/pip install torch==2.13.0 && TA/bin/pip install textattack
"transformers>=4.30,<5"`` (without the cap pip's resolver backtracks for more than ten minutes).
Offline, TextAttack needs NLTK's WordNet and stop words in ``$NLTK_DATA``: the WordNet files as
``unspin.bench.nlpaug_spinner.prepare_wordnet_for_nltk`` copies them, and
``corpora/stopwords/english`` (one word per line; scikit-learn's ``ENGLISH_STOP_WORDS`` will do).
``spin`` then tries and fails ``nltk.download`` for data it has already; that is harmless.

``spin`` feeds TextAttack one sentence at a time (a paragraph at once runs at ~5 words/s, a
sentence at a time ~300) and puts each back in place, so the text between sentences is kept byte
for byte; a sentence it fails on stays as it was. ``WordSwapWordNet`` picks from a ``set``, so the
output depends on Python's string hashing: ``spin`` runs itself again with ``PYTHONHASHSEED=0``
and seeds ``random`` and numpy per document, and the same input gives the same pairs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys

SENTENCE_BREAK = re.compile(r"((?<=[.!?])\s+|\s*\n\s*)")  # (the breaks are kept, see spin_text)


def export(split: str, words: int) -> None:
    from unspin.bench.run import select_documents  # (unspin's environment)

    for d in select_documents(split, words):
        print(json.dumps({"id": d.id, "genre": d.genre, "text": d.text}, ensure_ascii=False))


def spin_text(augmenter, text: str, seed: int) -> str:
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    parts = SENTENCE_BREAK.split(text)  # sentences at even indexes, the breaks between at odd ones
    for k in range(0, len(parts), 2):
        core = parts[k].strip()
        if not core:
            continue
        try:
            new = (augmenter.augment(core) or [core])[0]
        except Exception:  # noqa: BLE001 - TextAttack raises all sorts on odd sentences: keep the sentence
            new = core
        if new.strip():
            parts[k] = parts[k].replace(core, new, 1)
    return "".join(parts)


def spin(docs_path: str, rates: list[float]) -> None:
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable, *sys.argv])
    os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    from textattack.augmentation import Augmenter
    from textattack.constraints.pre_transformation import RepeatModification, StopwordModification
    from textattack.transformations import WordSwapWordNet

    with open(docs_path, encoding="utf-8") as f:
        docs = [json.loads(line) for line in f if line.strip()]
    for rate in rates:
        augmenter = Augmenter(
            transformation=WordSwapWordNet(),
            constraints=[RepeatModification(), StopwordModification()],
            pct_words_to_swap=rate,
            transformations_per_example=1,
        )
        for k, d in enumerate(docs):
            spun = spin_text(augmenter, d["text"], k)
            pair = {"id": d["id"], "rate": rate, "original": d["text"], "spun": spun}
            print(json.dumps(pair, ensure_ascii=False), flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="step", required=True)
    e = sub.add_parser("export", help="the benchmark's clean documents as JSON Lines (unspin's environment)")
    e.add_argument("--split", choices=["dev", "test"], default="test")
    e.add_argument("--words", type=int, default=12_000)
    s = sub.add_parser("spin", help="spin them with TextAttack (its environment)")
    s.add_argument("docs")
    s.add_argument("rates", type=float, nargs="+")
    args = ap.parse_args()
    if args.step == "export":
        export(args.split, args.words)
    else:
        spin(args.docs, args.rates)
    return 0


if __name__ == "__main__":
    sys.exit(main())

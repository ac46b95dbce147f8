"""How far the engine's local evidence can go on an independent spinner (dev split only).

    .venv/bin/python bench/local_ceiling.py [--words 24000] [--rate 0.3]

For every nlpaug substitution: is the original the best-scoring candidate in the observed context
(the trigram LM, the channel and the document cache, before any edit cost)? And for a threshold t on
that local score: the share of substitutions whose best candidate is the original and scores above
t (what an oracle-free local rule could restore exactly), against the share of untouched words with
candidates whose best candidate scores above t (what it would change). No threshold here can reach
an exact share above the first line's, whatever the false-edit budget.
"""

from __future__ import annotations

import argparse

import numpy as np

from unspin import text
from unspin.bench.metrics import _norm
from unspin.bench.run import _nlpaug, select_documents
from unspin.restore import DocumentEvidence, Restorer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=24_000)
    ap.add_argument("--rate", type=float, default=0.3)
    args = ap.parse_args()
    restorer, spinner = Restorer(), _nlpaug(args.rate, seed=0)
    gold_best, untouched_best = [], []  # (score, best is the original) per substitution; score per word
    for d in select_documents("dev", args.words):
        spun, gold = spinner.spin(d.text)
        originals = {g["spun_start"]: (g["spun_end"], _norm(g["original"])) for g in gold}
        inside = bytearray(len(spun))
        for g in gold:
            inside[g["spun_start"] : g["spun_end"]] = b"\1" * (g["spun_end"] - g["spun_start"])
        evidence = DocumentEvidence()
        for offset, para in text.paragraphs(spun):
            for p in restorer._prepare(para, evidence):
                toks = p.chunk.tokens
                for i, opts in enumerate(p.scored):
                    start = toks[i].start + offset
                    score, best = opts[0] if opts else (-np.inf, None)
                    if start in originals:
                        end, original = originals[start]
                        same_span = best is not None and toks[best.end - 1].end + offset == end
                        gold_best.append((score, same_span and best.text == original))
                    elif not inside[start]:
                        untouched_best.append(score)
    g = np.array(gold_best)
    u = np.array(untouched_best)
    print(f"nlpaug {args.rate:.0%}: {len(g)} substitutions in chunks with candidates; "
          f"best local candidate is the original for {g[:, 1].mean():.1%}")  # fmt: skip
    print("| threshold (nats) | exact (local best) | untouched words changed (chunks with candidates) |")
    print("|---:|---:|---:|")
    for t in (0, 2, 4, 6, 8, 10):
        print(f"| {t} | {((g[:, 0] > t) & (g[:, 1] > 0)).mean():.1%} | {(u > t).mean():.2%} |")


if __name__ == "__main__":
    main()

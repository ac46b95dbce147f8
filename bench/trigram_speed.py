"""How much the compiled trigram look-up (``src/unspin/_trigram.c``) speeds up ``restore --fast``.

    .venv/bin/python bench/trigram_speed.py [--words 24000] [--split test] [--chunks 12]

The speed suite (``unspin bench --suites speed``) times fresh processes, and on a shared 2-core VM
their speed drifts by a fifth or more from one minute to the next: two configurations timed
one after the other can't be told apart by a fifth. So this script times both in one process,
interleaved. Half the documents (spun at 30 %, our mixed style, as the speed suite) warm every
cache; the other half is cut into ``--chunks`` parts, and each part is restored once per
configuration, the order alternating, each run starting from the same copy of the trigram cache
(the other caches are warm for whichever runs second, and each configuration runs second half the
time). The configurations:

- ``python``: pocketsphinx's Python wrapper for each new look-up, and the LM terms summed by the
  Python loop (``TrigramLM.score_terms``): what runs where the helper can't be built;
- ``compiled``: the helper's look-up and its loop, as shipped.

It prints CPU words/s for each and their ratio, and checks that both gave the same edits.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import types

os.environ["UNSPIN_FAST"] = "1"  # the trigram engine: the one with a words/s-per-core target

from unspin import Restorer, lm, text  # noqa: E402
from unspin.bench.run import select_documents  # noqa: E402
from unspin.spin import Spinner  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--words", type=int, default=24_000)
    ap.add_argument("--split", default="test")
    ap.add_argument("--chunks", type=int, default=12)
    args = ap.parse_args()

    model = lm.load()
    if model.backend != "compiled":
        print("the compiled look-up isn't built here (pip install -e . builds it)", file=sys.stderr)
        return 2
    os.environ["UNSPIN_PURE_LM"] = "1"  # the fallback's own look-up, as lm builds it without the helper
    pure = lm.TrigramLM()
    del os.environ["UNSPIN_PURE_LM"]
    python_loop = types.MethodType(lm.TrigramLM.score_terms, model)
    configurations = {
        "python": (pure._prob, python_loop),
        "compiled": (model._prob, model.score_terms),
    }
    spinner = Spinner()
    docs = select_documents(args.split, args.words)
    texts = [spinner.spin(d.text, rate=0.3, seed=k, style="mixed").spun for k, d in enumerate(docs)]
    warm_up, timed = texts[0::2], texts[1::2]
    restorer = Restorer()
    for t in warm_up:
        restorer.restore(t)
    cache, oov = dict(model.cache), set(model.oov)

    seconds = dict.fromkeys(configurations, 0.0)
    same = True
    for k in range(args.chunks):
        chunk = timed[k :: args.chunks]
        edits = {}
        for name in list(configurations)[:: 1 if k % 2 == 0 else -1]:
            model._prob, model.score_terms = configurations[name]
            model.cache.clear()  # (in place: the compiled loop holds this dict)
            model.cache.update(cache)
            model.oov.clear()
            model.oov.update(oov)
            t0 = time.process_time()
            edits[name] = [[(s.start, s.end, s.suggestion) for s in restorer.restore(t).spans] for t in chunk]
            seconds[name] += time.process_time() - t0
        same &= edits["python"] == edits["compiled"]
    n = sum(len(text.WORD_RE.findall(t)) for t in timed)
    print(
        f"{n:,} words spun at 30 %: python {n / seconds['python']:,.0f} words/s, compiled "
        f"{n / seconds['compiled']:,.0f} words/s (x{seconds['python'] / seconds['compiled']:.2f}); "
        f"the same edits: {same}"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

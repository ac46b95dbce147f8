"""Known terms spun word by word: how often is the term among the candidates, with and without
the term inventory (``terms``, ``Params.known_terms``)?

    .venv/bin/python bench/term_coverage.py [--split test] [--words 60000] [--restore]

Every occurrence of a known term in the clean text whose content words the spinner all replaced
is one case (our own spinner's moby and wordnet styles at 50 %, and nlpaug at 50 %: high rates,
because a two-word term is spun whole only at about the rate squared). A case is covered when
the term, as one multiword candidate of the spun words' span, is among the engine's candidates,
or when each spun word's own candidate list holds its original (the decoder can take them
together). Prints one line per spinner: cases, covered without terms, covered with them; with
``--restore``, also the share the default engine (``unspin restore``: the neural re-scorer where
installed) gives back: the restored text of the spun words' span, with any edit overlapping it,
holds the term as whole words (``restored``). Coverage is counted on the trigram engine's short
lists; the neural re-scorer's are longer, so it can restore a term that isn't "covered".
"""

from __future__ import annotations

import argparse
import re
import sys

from unspin import text
from unspin.bench.run import _nlpaug, select_documents
from unspin.candidates import CLOSED_CLASS, Candidates
from unspin.restore import Restorer, make_restorer
from unspin.results import Span
from unspin.scoring import Params
from unspin.spin import Spinner


def spun_terms(original: str, edits: list[tuple[int, int, int, int]], index) -> list[tuple[int, int, str]]:
    """(spun start, spun end, term) for each known term of ``original`` whose content words were
    all replaced one by one; ``edits`` are (orig start, orig end, spun start, spun end)."""
    by_start = {e[0]: e for e in edits}
    out = []
    for chunk in text.chunks(original):
        words = [t.lower for t in chunk.tokens]
        for i in range(len(words)):
            for n in (4, 3, 2):
                if i + n > len(words) or not index.is_term(words[i : i + n]):
                    continue
                toks = chunk.tokens[i : i + n]
                content = [t for t in toks if t.lower not in CLOSED_CLASS]
                hits = [by_start.get(t.start) for t in content]
                if all(h is not None and h[1] == t.end for h, t in zip(hits, content)) and all(
                    t.start in by_start or t.lower in CLOSED_CLASS for t in toks
                ):
                    first, last = by_start.get(toks[0].start), by_start.get(toks[-1].start)
                    if first and last:
                        out.append((first[2], last[3], " ".join(words[i : i + n])))
                break
    return out


def covered(spun: str, start: int, end: int, term: str, cands: Candidates) -> bool:
    for chunk in text.chunks(spun):
        toks = chunk.tokens
        idx = [k for k, t in enumerate(toks) if start <= t.start < end]
        if not idx:
            continue
        by_start = cands.options(chunk)
        if any(o.end == idx[-1] + 1 and o.text == term for o in by_start[idx[0]]):
            return True
        originals = term.split()
        return len(originals) == len(idx) and all(
            toks[k].lower == w or any(o.end == k + 1 and o.text == w for o in by_start[k])
            for k, w in zip(idx, originals)
        )
    return False


def restored(spun: str, start: int, end: int, term: str, spans: list[Span]) -> bool:
    """Whether ``spans`` (a restoration of ``spun``) give back ``term`` at ``spun[start:end]``:
    the span's text, widened to the edits that overlap it and with them made, holds the term's
    words in order (lower case, whitespace normalised)."""
    inside = [s for s in spans if s.start < end and start < s.end]
    lo, hi = min([start] + [s.start for s in inside]), max([end] + [s.end for s in inside])
    out, at = [], lo
    for s in sorted(inside, key=lambda s: s.start):
        out += [spun[at : s.start], s.suggestion]
        at = s.end
    words = " ".join("".join(out + [spun[at:hi]]).lower().split())
    return re.search(rf"(?<!\w){re.escape(term)}(?!\w)", words) is not None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="test")
    ap.add_argument("--words", type=int, default=60_000)
    ap.add_argument("--restore", action="store_true", help="also the share the default engine restores")
    args = ap.parse_args()
    engine = make_restorer() if args.restore else None
    docs = select_documents(args.split, args.words)
    restorer = Restorer(params=Params(known_terms=True))
    index = restorer.candidates.terms
    with_terms = restorer.candidates
    without = Candidates(restorer.lexicon, restorer.lm, restorer.params.max_candidates, source_best=True)
    spinner, nlpaug = Spinner(), _nlpaug(0.5, seed=0)
    spinners = {
        "unspin moby 50%": lambda k, t: spinner.spin(t, rate=0.5, seed=k, style="moby"),
        "unspin wordnet 50%": lambda k, t: spinner.spin(t, rate=0.5, seed=k, style="wordnet"),
        "nlpaug 50%": lambda k, t: nlpaug.spin(t),
    }
    for name, spin in spinners.items():
        cases = before = after = back = 0
        for k, d in enumerate(docs):
            result = spin(k, d.text)
            if isinstance(result, tuple):  # nlpaug: (text, edits as dicts)
                spun = result[0]
                edits = [(e["orig_start"], e["orig_end"], e["spun_start"], e["spun_end"]) for e in result[1]]
            else:
                spun = result.spun
                edits = [(e.orig_start, e.orig_end, e.spun_start, e.spun_end) for e in result.edits]
            found = spun_terms(d.text, edits, index)
            spans = engine.restore(spun).spans if engine is not None and found else []
            for start, end, term in found:
                cases += 1
                before += covered(spun, start, end, term, without)
                after += covered(spun, start, end, term, with_terms)
                back += restored(spun, start, end, term, spans)
        share = (before / max(cases, 1), after / max(cases, 1))
        line = (f"{name}: {cases} known terms spun word by word; the term among the candidates: "
                f"{share[0]:.1%} without the inventory, {share[1]:.1%} with it")  # fmt: skip
        if engine is not None:
            kind = "neural" if engine.neural is not None else "trigram"
            line += f"; restored by the {kind} engine: {back / max(cases, 1):.1%}"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

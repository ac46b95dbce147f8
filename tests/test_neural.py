"""The neural re-scorer: its cached, batched scoring must equal plain full-text scoring.

Runs on a tiny randomly initialised Gemma 3 (torch + transformers, from the dev extra) with a
byte-level BPE tokenizer trained here, so it needs no model download; the real Gemma 3 270M
is tested too where ``unspin[neural]`` is installed.
"""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from unspin import neural  # noqa: E402
from unspin.neural import Edit, NeuralLM  # noqa: E402

CORPUS = [
    "The bill passed the Senate on Tuesday, and the White House said it would sign it.",
    "Researchers found that the model performed better than earlier approaches on the benchmark.",
    "The president was fired from his job in the spring; the invoice was handed over.",
] * 20


@pytest.fixture(scope="module")
def tiny() -> NeuralLM:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig, PreTrainedTokenizerFast

    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600, special_tokens=["<pad>", "<bos>", "<eos>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )  # fmt: skip
    tk.train_from_iterator(CORPUS, trainer)
    tok = PreTrainedTokenizerFast(
        tokenizer_object=tk, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>"
    )
    torch.manual_seed(0)
    config = Gemma3TextConfig(
        vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=1, head_dim=16, initializer_range=0.5,
        layer_types=["sliding_attention", "full_attention"], sliding_window=512,
        max_position_embeddings=2048, pad_token_id=0, bos_token_id=1, eos_token_id=2,
    )  # fmt: skip
    return NeuralLM(Gemma3ForCausalLM(config).eval(), tok)


def text_logp(lm: NeuralLM, text: str) -> float:
    """log P(text) by one plain forward pass: the definition the cached scoring must match."""
    ids = [lm.tokenizer.bos_token_id, *lm.tokenizer(text, add_special_tokens=False)["input_ids"]]
    with torch.inference_mode():
        logits = lm.model(input_ids=torch.tensor([ids])).logits[0, :-1].float()
    return float(logits.log_softmax(-1).gather(1, torch.tensor(ids[1:])[:, None]).sum())


def naive_gain(lm: NeuralLM, text: str, e: Edit) -> float:
    stop = neural._right_end(text, e.end, lm.right_words)
    return text_logp(lm, text[: e.start] + e.replacement + text[e.end : stop]) - text_logp(lm, text[:stop])


def edits_for(text: str, pairs: list[tuple[str, str]]) -> list[Edit]:
    out = []
    for word, replacement in pairs:
        start = text.index(word)
        out.append(Edit(start, start + len(word), replacement))
    return out


def at_threshold(r, threshold: float):
    """``r`` deciding at one ``threshold`` for every paragraph (a copy of its model): low ones give
    many edits from the random tiny model, and much to read again."""
    import copy

    r.decision = copy.copy(r.decision)
    r.decision.threshold = threshold
    r.decision.by_rate = None
    return r


def in_one_band(restorer, tiny, band: float, is_heavy: bool, light: float, heavy: float):
    """A neural restorer deciding every paragraph at threshold ``band``, in the upper of two rate
    bands (heavily spun) if ``is_heavy`` and in the lower otherwise, easy first, the second reading
    at margin ``light`` in lightly spun paragraphs and ``heavy`` in the others."""
    import dataclasses

    from unspin.decision import RateThresholds
    from unspin.restore import Restorer

    margins = {"second_reading_margin": light, "second_reading_heavy_margin": heavy}
    params = dataclasses.replace(restorer.params, first_reading_margin=0.1, **margins)
    r = Restorer(restorer.lexicon, restorer.lm, params, neural_lm=tiny)
    feature = r.decision.by_rate.feature  # (the shipped model's: its rate estimate's place in a row)
    r = at_threshold(r, band)
    edge = -1e9 if is_heavy else 1e9  # every paragraph's rate estimate is above it, or under it
    r.decision.by_rate = RateThresholds(feature, (edge,), (band, band))
    return r


SPUN = "The invoice handed the Senate on Tuesday. Then the Pale Home said the president was blazed."


def test_gains_equal_plain_scoring_of_the_two_texts(tiny):
    edits = edits_for(
        SPUN,
        [("invoice", "bill"), ("handed", "passed"), ("Pale Home", "White House"), ("blazed", "fired"),
         ("The", "A"), ("Senate", "Senate")],
    )  # fmt: skip
    gains = tiny.gains(SPUN, edits)
    for e, g in zip(edits, gains):
        assert g == pytest.approx(naive_gain(tiny, SPUN, e), abs=2e-3), e
    assert gains[-1] == pytest.approx(0.0, abs=1e-4)  # replacing a word by itself changes nothing


def test_the_right_context_counts(tiny):
    near = NeuralLM(tiny.model, tiny.tokenizer, right_words=0)
    far = NeuralLM(tiny.model, tiny.tokenizer, right_words=4)
    e = edits_for(SPUN, [("handed", "passed")])
    assert near.gains(SPUN, e)[0] == pytest.approx(naive_gain(near, SPUN, e[0]), abs=2e-3)
    assert far.gains(SPUN, e)[0] == pytest.approx(naive_gain(far, SPUN, e[0]), abs=2e-3)
    assert near.gains(SPUN, e)[0] != pytest.approx(far.gains(SPUN, e)[0], abs=1e-3)


def test_long_text_is_scored_in_sentence_segments(tiny):
    long = " ".join([SPUN] * 30)  # ~2,900 characters: several segments
    assert len(long) > 2 * neural.MAX_SEGMENT_CHARS
    last = long.rindex("blazed")
    edits = [Edit(4, 11, "bill"), Edit(last, last + 6, "fired")]
    gains = tiny.gains(long, edits)
    seg_start, seg_end = next((a, b) for a, b in neural._segments(long) if a <= last < b)
    assert seg_start > 0
    segment = long[seg_start:seg_end]
    shifted = Edit(last - seg_start, last - seg_start + 6, "fired")
    assert gains[1] == pytest.approx(naive_gain(tiny, segment, shifted), abs=2e-3)
    assert gains[0] == pytest.approx(tiny.gains(SPUN, [edits[0]])[0], abs=2e-3)


def test_segments_cover_the_text_without_gaps():
    text = ("A sentence of some length here. " * 200) + "x" * 3000 + " tail"
    segs = neural._segments(text)
    assert segs[0][0] == 0 and segs[-1][1] == len(text)
    assert all(a < b for a, b in segs)
    assert all(b == c for (_, b), (c, _) in zip(segs, segs[1:]))
    assert all(b - a <= neural.MAX_SEGMENT_CHARS for a, b in segs)


def test_a_partial_normaliser_matches_where_it_covers_and_stays_a_probability(tiny):
    V = len(tiny.tokenizer)
    everything = NeuralLM(tiny.model, tiny.tokenizer, vocab=list(range(V)))
    edits = edits_for(SPUN, [("invoice", "bill"), ("blazed", "fired")])
    assert everything.gains(SPUN, edits) == pytest.approx(tiny.gains(SPUN, edits), abs=1e-4)
    half = NeuralLM(tiny.model, tiny.tokenizer, vocab=list(range(0, V, 2)))
    state = torch.zeros((V, tiny.model.config.hidden_size))
    logp = half._logp(state[:V], torch.arange(V))
    assert torch.isfinite(logp).all() and (logp <= 1e-6).all()


def test_the_restorer_refuses_a_neural_lm_reading_other_right_context_than_its_model(tiny, restorer):
    from unspin.restore import Restorer

    trained = Restorer(restorer.lexicon, restorer.lm, neural_lm=tiny).decision.spec.get("right_words", 2)
    other = NeuralLM(tiny.model, tiny.tokenizer, right_words=trained + 1)
    with pytest.raises(ValueError, match="right context"):
        Restorer(restorer.lexicon, restorer.lm, neural_lm=other)
    Restorer(restorer.lexicon, restorer.lm, neural_lm=other, use_decision_model=False)  # no model: no check


def test_restorer_with_the_neural_lm_keeps_text_outside_its_spans(tiny, restorer):
    from unspin.decision import NEURAL_MODEL_PATH
    from unspin.restore import Restorer

    if not NEURAL_MODEL_PATH.exists():
        pytest.fail("the neural decision model should ship in src/unspin/data/")
    r = Restorer(restorer.lexicon, restorer.lm, neural_lm=tiny)
    source = SPUN + "\n\nThe firm commenced trading and acquired a small rival. Émigré café, 東京.\n"
    result = r.restore(source)
    last = 0
    for s in result.spans:
        assert last <= s.start < s.end <= len(source)
        assert source[s.start : s.end] == s.observed
        last = s.end
    rebuilt, pos = [], 0
    for s in result.spans:
        rebuilt += [source[pos : s.start], s.suggestion]
        pos = s.end
    assert "".join(rebuilt) + source[pos:] == result.text


@pytest.mark.skipif(not neural.available(), reason="unspin[neural] is not installed")
def test_gemma_prefers_the_original_words():
    lm = NeuralLM.load()
    edits = edits_for(SPUN, [("invoice", "bill"), ("handed", "passed"), ("blazed", "fired")])
    assert all(g > 0 for g in lm.gains(SPUN, edits))
    honest = "The bill passed the Senate on Tuesday."
    assert lm.gains(honest, edits_for(honest, [("bill", "invoice")]))[0] < 0
    assert not math.isnan(lm.gains(honest, [Edit(0, 3, "A")])[0])


def test_texts_scored_together_equal_each_alone(tiny):
    honest = "The bill passed the Senate on Tuesday, and the White House said it would sign it."
    items = [
        (SPUN, edits_for(SPUN, [("invoice", "bill"), ("blazed", "fired")])),
        ("", []),
        (honest, edits_for(honest, [("bill", "invoice"), ("White House", "Pale Home")])),
        (" ".join([SPUN] * 30), [Edit(4, 11, "bill")]),
    ]
    together = tiny.gains_many(items)
    assert [len(g) for g in together] == [len(e) for _, e in items]
    for (text, edits), g in zip(items, together):
        assert g == pytest.approx(tiny.gains(text, edits), abs=2e-3)
        assert g == pytest.approx([naive_gain(tiny, text, e) for e in edits], abs=2e-3)


def test_the_sliding_window_layers_see_only_their_window(tiny):
    from transformers import Gemma3ForCausalLM

    config = tiny.model.config.__class__(**{**tiny.model.config.to_dict(), "sliding_window": 6})
    narrow = Gemma3ForCausalLM(config).eval()
    narrow.load_state_dict(tiny.model.state_dict())
    lm = NeuralLM(narrow, tiny.tokenizer)
    edits = edits_for(SPUN, [("Pale Home", "White House"), ("blazed", "fired")])
    for e, g in zip(edits, lm.gains(SPUN, edits)):
        assert g == pytest.approx(naive_gain(lm, SPUN, e), abs=2e-3)
    assert lm.gains(SPUN, edits) != pytest.approx(tiny.gains(SPUN, edits), abs=1e-2)


def test_paragraphs_read_together_give_what_each_gives_alone(tiny, restorer):
    from unspin import text
    from unspin.restore import DocumentEvidence, Restorer

    r = Restorer(restorer.lexicon, restorer.lm, neural_lm=tiny)
    source = "\n\n".join([SPUN, "The firm commenced trading and acquired a small rival.", SPUN.upper()])
    together = r.restore(source).spans
    evidence = DocumentEvidence()
    alone = [s for off, para in text.paragraphs(source) for s in r.paragraph_spans(para, off, evidence)]
    assert together, "the example should give some spans"
    edits = [(s.start, s.end, s.suggestion) for s in together]
    assert edits == [(s.start, s.end, s.suggestion) for s in alone]
    assert [s.confidence for s in together] == pytest.approx([s.confidence for s in alone], abs=1e-3)


def test_a_second_reading_only_adds_edits_beside_the_first_readings(tiny, restorer):
    import dataclasses

    from unspin.restore import Restorer
    from unspin.results import apply_spans

    def restore(second_pass: bool, threshold: float):
        # (both readings at the one threshold: the first reading alone is then what `once` gives)
        params = dataclasses.replace(
            restorer.params, second_pass=second_pass, first_reading_margin=0.0, second_reading_margin=0.0
        )
        r = at_threshold(Restorer(restorer.lexicon, restorer.lm, params, neural_lm=tiny), threshold)
        return r.restore(source)

    # The edits to read again are in the second paragraph: the added spans' offsets must hold.
    rest = " The firm commenced trading and acquired a small rival in the fountain.\n"
    source = "The firm was small.\n\n" + SPUN + rest
    added_any = False
    # (what a random tiny model's second reading adds depends on the shipped decision model and
    # on the lexicon's candidates: thresholds from low to high, so that the checks below see added
    # spans whatever they are)
    for threshold in (0.05, 0.1, 0.2, 0.3, 0.02, 0.5, 0.6, 0.7, 0.9):
        once, twice = restore(False, threshold), restore(True, threshold)
        assert once.spans, "the example should give some spans"
        assert set(once.spans) <= set(twice.spans)
        assert apply_spans(source, twice.spans) == twice.text
        added = set(twice.spans) - set(once.spans)
        for s in added:
            assert source[s.start : s.end] == s.observed
            assert not any(f.start < s.end and s.start < f.end for f in once.spans)
        added_any |= bool(added)
    assert added_any, "the second reading should find more here"


def test_easy_first_each_reading_decides_at_its_own_margin_from_the_threshold(tiny, restorer):
    import dataclasses

    from unspin.restore import Restorer

    source = "The firm was small.\n\n" + SPUN + " The firm commenced trading in the fountain.\n"

    def spans(threshold: float, second_pass: bool = True, first: float = 0.0, second: float = 0.0):
        params = dataclasses.replace(
            restorer.params, second_pass=second_pass, first_reading_margin=first, second_reading_margin=second
        )
        r = at_threshold(Restorer(restorer.lexicon, restorer.lm, params, neural_lm=tiny), threshold)
        return set(r.restore(source).spans)

    # (what the random tiny model edits depends on the shipped decision model: a few thresholds,
    # so that the margins make a difference somewhere whatever the model)
    mattered = False
    for t in (0.05, 0.1, 0.2, 0.3):
        easy_first = spans(t, first=0.1, second=-0.1)
        assert spans(t + 0.1, second_pass=False) <= easy_first  # the first reading decides at t + 0.1
        # each margin is from the model's threshold, not from the other reading's
        both_stricter = spans(t, first=0.1, second=0.1)
        assert both_stricter == spans(t + 0.1)
        mattered |= easy_first != both_stricter
    assert mattered, "the second reading's margin should change its edits somewhere"


def test_the_second_reading_decides_at_the_plain_threshold_in_heavily_spun_paragraphs(tiny, restorer):
    source = "The firm was small.\n\n" + SPUN + " The firm commenced trading in the fountain.\n"

    def spans(band: float, is_heavy: bool, second: float, heavy: float):
        return set(in_one_band(restorer, tiny, band, is_heavy, second, heavy).restore(source).spans)

    mattered = False
    for t in (0.05, 0.1, 0.2, 0.3):
        # in the upper band, heavily spun: the heavy margin, not the other (whatever the thresholds)
        heavy = spans(t, True, second=-0.1, heavy=0.0)
        assert heavy == spans(t, True, second=0.0, heavy=0.0)
        # in the lower band, lightly spun: the second reading's own margin
        light = spans(t, False, second=-0.1, heavy=0.0)
        assert light == spans(t, False, second=-0.1, heavy=-0.1)
        mattered |= heavy != light
    assert mattered, "the band should change the second reading's edits somewhere"


def test_the_second_reading_never_goes_under_the_single_threshold_in_heavily_spun_paragraphs(tiny, restorer):
    source = "The firm was small.\n\n" + SPUN + " The firm commenced trading in the fountain.\n"

    def spans(band: float, single: float, is_heavy: bool, heavy: float):
        r = in_one_band(restorer, tiny, band, is_heavy, -0.1, heavy)
        r.decision.threshold = single  # (used with rate bands only as this floor)
        return set(r.restore(source).spans)

    mattered = False
    for t in (0.1, 0.3, 0.5, 0.6, 0.7):  # (the random tiny model's edits differ somewhere in these)
        # a heavy band 0.1 under the single threshold reads its second time at the single one ...
        floored = spans(t, t + 0.1, True, heavy=-0.1)
        assert floored == spans(t, t, True, heavy=0.1)
        # ... unless its own margin is stricter; and a light band keeps its own margin
        assert spans(t, t + 0.1, True, heavy=0.2) == spans(t, t, True, heavy=0.2)
        assert spans(t, t + 0.1, False, heavy=-0.1) == spans(t, t, False, heavy=-0.1)
        mattered |= floored != spans(t, t, True, heavy=-0.1)
    assert mattered, "the floor should change the second reading's edits somewhere"


def test_the_gatekeeper_spares_the_neural_lm_the_hopeless_candidates(tiny, restorer):
    import dataclasses

    from unspin.restore import Restorer

    source = SPUN + " The firm commenced trading and acquired a small rival."

    def asked(prior: float) -> int:
        params = dataclasses.replace(restorer.params, neural_prior=prior, second_pass=False)
        r = Restorer(restorer.lexicon, restorer.lm, params, neural_lm=tiny)
        count, gains_many = [0], tiny.gains_many

        def counting(items, reading=None):
            count[0] += sum(len(edits) for _, edits in items)
            return gains_many(items, reading)

        tiny.gains_many = counting  # (an instance attribute over the method, removed below)
        try:
            r.restore(source)
        finally:
            del tiny.gains_many
        return count[0]

    # Known terms are asked about whatever the prior (the trigram decision model never saw them),
    # and the candidates the neural LM's own bound picks.
    everything, gated, only_terms = asked(0.0), asked(restorer.params.neural_prior), asked(1.0)
    assert everything > gated > only_terms


def test_a_reading_gives_the_same_gains_and_bounds_its_left_context(tiny):
    """``read`` once, then ``bounds`` and ``gains_many`` off it: the gains equal plain scoring,
    and a word's bound is log P(first token of the alternative | prefix) - log P(word | prefix)."""
    texts = [SPUN, " ".join([SPUN] * 30)]
    reading = tiny.read(texts)
    items = [
        (SPUN, edits_for(SPUN, [("invoice", "bill"), ("blazed", "fired")])),
        (texts[1], [Edit(4, 11, "bill")]),
    ]
    for reused, fresh in zip(tiny.gains_many(items, reading), tiny.gains_many(items)):
        assert reused == pytest.approx(fresh, abs=2e-3)
    start = SPUN.index("handed")
    words = [(start, start + 6, ["passed", "given over"]), (4, 11, ["bill"])]
    bounds = tiny.bounds(reading, 0, words)
    tok = tiny.tokenizer
    for (s, e, alts), got in zip(words, bounds):
        prefix = [tok.bos_token_id, *tok(SPUN[: s - 1], add_special_tokens=False)["input_ids"]]
        with torch.inference_mode():
            logits = tiny.model(input_ids=torch.tensor([prefix])).logits[0, -1].float().log_softmax(-1)
        keep = text_logp(tiny, SPUN[:e]) - text_logp(tiny, SPUN[: s - 1])
        for alt, g in zip(alts, got):
            first = tok(" " + alt, add_special_tokens=False)["input_ids"][0]
            assert g == pytest.approx(float(logits[first]) - keep, abs=2e-3), alt
    assert tiny.bounds(reading, 0, [(0, 3, [])]) == [[]]


def asked_about(tiny, restorer, source: str, pick: float | None, bounds=None) -> set[tuple[int, str]]:
    """(start, replacement) of every edit the neural LM scores in restoring ``source`` with
    ``neural_pick`` at ``pick`` and nothing let through by the trigram's gatekeeper
    (``neural_prior`` 1: only terms and picks); ``bounds`` stands in for ``tiny.bounds``."""
    import dataclasses

    from unspin.restore import Restorer

    params = dataclasses.replace(restorer.params, neural_pick=pick, neural_prior=1.0, second_pass=False)
    r = Restorer(restorer.lexicon, restorer.lm, params, neural_lm=tiny)
    asked, gains_many = set(), tiny.gains_many

    def recording(items, reading=None):
        asked.update((e.start, e.replacement.lower()) for _, edits in items for e in edits)
        return gains_many(items, reading)

    tiny.gains_many = recording
    if bounds is not None:
        tiny.bounds = bounds
    try:
        r.restore(source)
    finally:
        del tiny.gains_many
        if bounds is not None:
            del tiny.bounds
    return asked


def test_the_neural_bound_asks_about_each_words_best_candidate_whatever_the_trigram_says(tiny, restorer):
    from unspin import text
    from unspin.restore import Restorer

    source = SPUN + " The firm commenced trading and acquired a small rival."

    def asked(pick: float | None) -> set[tuple[int, str]]:
        return asked_about(tiny, restorer, source, pick)

    r = Restorer(restorer.lexicon, restorer.lm, neural_lm=tiny)
    listed = {
        t.start for c in text.chunks(source) for t in c.tokens if r.candidates.ranked(t.lower)
    }  # every word with a candidate
    assert listed and {start for start, _ in asked(-1e9)} >= listed
    assert len({start for start, _ in asked(None)}) < len(listed)
    # ...and past the short list: each word's and each listed phrase's best of the tail too
    tail_only = {
        (t.start, c[0])
        for chunk in text.chunks(source)
        for t in chunk.tokens
        for c in r.candidates.listed(t.lower)[len(r.candidates.ranked(t.lower)) :]
    }
    assert tail_only and asked(-1e9) & tail_only
    assert not asked(None) & tail_only


def test_a_loose_bound_in_the_lead_does_not_keep_one_token_words_from_being_asked(tiny, restorer):
    from unspin import text
    from unspin.restore import Restorer

    def loose_first(reading, n, words):  # a bound that ranks every candidate of several tokens first
        return [[0.0 if tiny.one_token(alt) else 100.0 for alt in alts] for _, _, alts in words]

    asked = asked_about(tiny, restorer, SPUN, -1e9, bounds=loose_first)
    r = Restorer(restorer.lexicon, restorer.lm, neural_lm=tiny)
    short = {t.start: r.candidates.ranked(t.lower) for c in text.chunks(SPUN) for t in c.tokens}
    # words whose short list holds candidates of one token (a tight bound) and of several
    mixed = {start for start, xs in short.items() if len({tiny.one_token(x[0]) for x in xs}) == 2}
    assert mixed
    assert all(any(s == start and tiny.one_token(alt) for s, alt in asked) for start in mixed)


def test_rows_count_each_candidate_in_the_document_so_far(tiny, restorer):
    import math

    from unspin.decision import FEATURES, NEURAL_FEATURES
    from unspin.restore import Restorer

    r = Restorer(restorer.lexicon, restorer.lm, neural_lm=tiny)
    at = len(FEATURES) + NEURAL_FEATURES.index("candidate_seen")
    spun = "The council will vote on the invoice next week."
    context = "The bill sets new rules for buses. Critics of the bill want changes."

    def seen(doc: str) -> dict[str, tuple[float, float]]:
        rows = r.feature_rows(doc)
        return {c: (f[at], f[at + 1]) for s, e, c, f in rows if doc[s:e] == "invoice"}

    # "bill" twice in an earlier paragraph counts; in a later one it can't yet (a stream).
    before, after = seen(context + "\n\n" + spun), seen(spun + "\n\n" + context)
    assert before["bill"] == pytest.approx((math.log(3), math.log(2)))
    assert after["bill"] == pytest.approx((0.0, math.log(2)))


def test_a_paragraph_the_gate_calls_honest_is_neither_read_nor_edited(tiny, restorer, monkeypatch):
    from unspin.restore import Restorer

    def restorer_with(**gate) -> Restorer:
        return at_threshold(Restorer(restorer.lexicon, restorer.lm, neural_lm=tiny, **gate), 0.05)

    source = "\n\n".join([SPUN, "The firm commenced trading and acquired a small rival.", SPUN.upper()])
    everything = restorer_with().restore(source).spans
    assert any(s.end <= len(SPUN) for s in everything), "the example should give spans in paragraph 1"
    read = []
    original_read = tiny.read
    monkeypatch.setattr(tiny, "read", lambda texts, *a: read.append(texts) or original_read(texts, *a))
    spans = restorer_with(honest=lambda para: para.strip() == SPUN).restore(source).spans
    assert read and not any(SPUN in t for texts in read for t in texts)  # the honest paragraph is never read
    # it keeps its words; the others get what they got without the gate (the same evidence)
    assert spans == [s for s in everything if s.start > len(SPUN)]


def test_the_second_reading_replayed_at_other_margins_is_the_engine_run_at_them(tiny, restorer, monkeypatch):
    """``bench/second_reading.py`` records the second reading once and decides it again at other
    margins: each replay must give the edits of the engine run with those margins, in paragraphs the
    rate band calls heavily spun and in those it doesn't."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).parent.parent / "bench" / "second_reading.py"
    spec = importlib.util.spec_from_file_location("second_reading", path)
    second_reading = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, second_reading)  # (its dataclass looks itself up there)
    spec.loader.exec_module(second_reading)
    source = SPUN + "\n\nThe firm commenced trading and acquired a small rival in the fountain."

    seen = set()
    # heavily spun, then lightly; at two bands (the random tiny model's edits differ at one of them)
    for band, is_heavy in ((0.2, True), (0.2, False), (0.6, True), (0.6, False)):
        recorder = second_reading.Recorder(in_one_band(restorer, tiny, band, is_heavy, -0.1, 0.0))
        paragraphs, spans = recorder.readings(source)
        assert any(p.second is not None for p in paragraphs)
        for light, heavy in ((-0.1, 0.0), (0.0, -0.1), (-0.15, 0.1), (-0.3, 0.3)):
            replayed = second_reading.document_spans(recorder.decision, paragraphs, light, heavy)
            assert replayed == in_one_band(restorer, tiny, band, is_heavy, light, heavy).restore(source).spans
            seen.add(tuple(replayed))
    assert len(seen) > 2, "the margins should change the second reading's edits"

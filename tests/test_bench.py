import re
from collections import Counter

import pytest

from unspin.bench import corpora, run
from unspin.bench.metrics import score
from unspin.results import Span


def test_metrics_count_exact_detected_and_false_edits():
    spun = "we met last fountain in the cold town"
    gold = [{"spun_start": 12, "spun_end": 20, "original": "spring", "substitute": "fountain"}]
    spans = [Span(12, 20, "fountain", "Spring", 0.9), Span(29, 33, "cold", "old", 0.6)]
    c = score(spun, gold, spans)
    assert (c.gold, c.exact, c.detected, c.edits, c.correct_edits) == (1, 1, 1, 2, 1)
    assert (c.untouched, c.false_edits) == (7, 1)
    wrong = score(spun, gold, [Span(12, 20, "fountain", "well", 0.5)])
    assert (wrong.exact, wrong.detected, wrong.correct_edits) == (0, 1, 0)


def test_reliability_bins_edits_by_confidence_and_counts_the_right_ones():
    spun = "we met last fountain in the cold town"
    gold = [{"spun_start": 12, "spun_end": 20, "original": "spring", "substitute": "fountain"}]
    sure = [Span(12, 20, "fountain", "spring", 0.93), Span(29, 33, "cold", "old", 0.91)]
    c = score(spun, gold, sure)
    c.add(score(spun, gold, [Span(12, 20, "fountain", "well", 0.55)]))
    c.add(score(spun, gold, [Span(12, 20, "fountain", "spring", 1.0)]))  # 1.0 falls in the top bin
    assert c.reliability() == [("0.5-0.6", 1, 0.0), ("0.9-1.0", 3, 2 / 3)]


def test_one_edit_may_restore_a_run_of_substitutions():
    spun = "the flag to commotion proportion was low"
    gold = [
        {"spun_start": 4, "spun_end": 8, "original": "signal", "substitute": "flag"},
        {"spun_start": 12, "spun_end": 21, "original": "noise", "substitute": "commotion"},
        {"spun_start": 22, "spun_end": 32, "original": "ratio", "substitute": "proportion"},
    ]
    term = Span(4, 32, "flag to commotion proportion", "signal to noise ratio", 0.9)
    c = score(spun, gold, [term])
    assert (c.exact, c.correct_edits, c.false_edits) == (3, 1, 0)  # "to" given back unchanged
    part = score(spun, gold, [Span(4, 21, "flag to commotion", "signal to noise", 0.9)])
    assert (part.exact, part.correct_edits) == (2, 1)
    wrong = score(spun, gold, [Span(4, 32, "flag to commotion proportion", "signal to noise level", 0.5)])
    assert (wrong.exact, wrong.correct_edits, wrong.false_edits) == (0, 0, 1)


def test_splits_are_disjoint_and_stable():
    d = corpora.Document("lee/x/001#0", "news", "text")
    assert d.split == corpora.Document("lee/x/001#0", "news", "other").split
    docs = corpora.all_documents()
    ids = {x.id for x in docs}
    assert len(ids) == len(docs)
    assert {x.genre for x in docs} >= {"news", "encyclopedic", "technical"}


def test_units_cut_a_text_at_sentences_and_blank_lines_with_their_gold_edits():
    spun = 'He said "Go." Then the invoice handed.\n\nIn the fountain, it rained! ok'
    gold = [
        {"spun_start": 23, "spun_end": 30, "original": "bill", "substitute": "invoice"},
        {"spun_start": 47, "spun_end": 55, "original": "spring", "substitute": "fountain"},
    ]
    sentences = run.in_units([(spun, gold)], "sentence")
    first, second, third = 'He said "Go."', "Then the invoice handed.", "In the fountain, it rained! ok"
    assert [t for t, _ in sentences] == [first, second, third]
    for text, edits in sentences:  # each gold edit now points at its word in its own sentence
        assert all(text[e["spun_start"] : e["spun_end"]] == e["substitute"] for e in edits)
    assert [len(e) for _, e in sentences] == [0, 1, 1]
    paragraphs = run.in_units([(spun, gold)], "paragraph")
    assert [t for t, _ in paragraphs] == [f"{first} {second}", third]
    assert run.in_units([(spun, gold)], "document") == [(spun, gold)]
    with pytest.raises(run.BenchError, match="no such unit"):
        run.unit_ranges(spun, "chapter")


def test_bench_refuses_to_report_on_fewer_words_than_asked():
    with pytest.raises(run.BenchError, match="asked for"):
        run.select_documents("test", 10**9)


class _BrokenGensim:
    """A meta-path finder for a gensim whose compiled code doesn't match numpy: importing it raises
    a ValueError, as the data-only gensim does once scipy is installed (the ``train`` extra)."""

    def find_spec(self, name, path=None, target=None):
        if name == "gensim" or name.startswith("gensim."):
            raise ValueError("numpy.dtype size changed, may indicate binary incompatibility")
        return None


def test_nlpaug_spins_with_exact_alignment_even_where_gensim_is_broken(monkeypatch):
    pytest.importorskip("nlpaug")
    import sys

    for name in [m for m in sys.modules if m.split(".")[0] in ("nlpaug", "gensim")]:
        monkeypatch.delitem(sys.modules, name)  # import nlpaug afresh, as a new process would
    monkeypatch.setattr(sys, "meta_path", [_BrokenGensim(), *sys.meta_path])
    from unspin.bench.nlpaug_spinner import check_edits

    text = "The quick brown fox jumps over the lazy dog near the bank of the river today."
    spun, edits = run._nlpaug(0.5, seed=3).spin(text)
    assert edits and spun != text
    check_edits(text, spun, edits)
    assert "gensim" not in sys.modules  # hidden only while nlpaug was imported


def test_loss_breakdown_puts_each_substitution_at_the_stage_the_decoder_loses_it(restorer):
    """``bench/loss_breakdown.py``: a span is edited when its candidates' summed probability
    reaches the threshold (as ``decision.choose``), to its likeliest candidate."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parent.parent / "bench" / "loss_breakdown.py"
    spec = importlib.util.spec_from_file_location("loss_breakdown", path)
    lb = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lb)
    spun = "The invoice passed."
    a, b = 4, 11
    assert "bill" in {o[0] for o in restorer.candidates.listed("invoice")}

    def at(asked, original="bill"):
        return lb.STAGES.index(lb.stage(restorer, spun, a, b, original, asked, 0.7))

    assert at([(0.9, "bill"), (0.05, "check")]) == 5
    assert at([(0.4, "bill"), (0.35, "check")]) == 5  # the span is likely spun; "bill" its likeliest
    assert at([(0.3, "bill")]) == 4
    assert at([(0.5, "check"), (0.3, "bill")]) == 3
    assert at([(0.1, "check")]) == 2
    assert at([]) == 1
    assert at([(0.9, "check")], original="zebra") == 0
    # the inflection, not the word, is what was lost
    assert lb.other_form(restorer.lexicon, "says", "said")
    assert lb.other_form(restorer.lexicon, "reported", "report")
    assert not lb.other_form(restorer.lexicon, "told", "said")
    assert not lb.other_form(restorer.lexicon, "said", "said")


def test_the_gains_table_sets_each_substitution_against_honest_spans_that_gain_as_much(monkeypatch):
    """``bench/loss_breakdown.py --gains``: an honest span is one no substitution overlaps, counted
    once, at its best candidate's gain; the share spun per bin is what an edit on the gain alone
    would get right."""
    lb = _bench_script(monkeypatch, "loss_breakdown")
    edits = [(4, 11, "bill")]  # "The invoice passed." with "invoice" spun
    gain_at = {(4, 11, "bill"): 12.0, (12, 18, "handed"): 1.0, (12, 18, "gone"): 6.0, (0, 11, "a bill"): 9.0}
    assert sorted(lb.honest_gains(gain_at, edits)) == [6.0]  # "passed"; "The invoice" overlaps the edit
    assert [lb.gain_bin(g) for g in (-1.0, 0.0, 1.9, 2.0, 9.9, 10.0)] == [0, 1, 1, 2, 3, 4]
    table = lb.gains_table(Counter({4: 3, 3: 1}), Counter({4: 2}), Counter({3: 1}))
    assert "| >= 10 | 3 | 2 | 0 | 100.0% |" in table
    assert "| 5 to 10 | 1 | 0 | 1 | 50.0% |" in table
    assert "| < 0 | 0 | 0 | 0 | – |" in table


def test_a_spun_term_counts_as_restored_only_when_every_word_comes_back(monkeypatch):
    """``bench/term_coverage.py --restore``: one edit of the whole term, or one per word, or an
    edit reaching past the term's span, gives it back; a word left spun doesn't."""
    tc = _bench_script(monkeypatch, "term_coverage")
    spun = "A flag to commotion proportion here."
    start, end, term = 2, 30, "signal to noise ratio"

    def span(a: int, b: int, suggestion: str) -> Span:
        return Span(a, b, spun[a:b], suggestion, 0.9)

    words = [span(2, 6, "signal"), span(10, 19, "noise"), span(20, 30, "ratio")]
    assert tc.restored(spun, start, end, term, words)
    assert not tc.restored(spun, start, end, term, words[:2])
    assert tc.restored(spun, start, end, term, [span(2, 30, "Signal to noise ratio")])
    assert tc.restored(spun, start, end, term, [span(0, 6, "The signal"), *words[1:]])
    assert not tc.restored(spun, start, end, term, [])


def _bench_script(monkeypatch, name: str):
    """``bench/<name>.py`` as a module."""
    import importlib.util
    from pathlib import Path

    bench = Path(__file__).parent.parent / "bench"
    monkeypatch.syspath_prepend(str(bench))
    spec = importlib.util.spec_from_file_location(name, bench / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _train_decision(monkeypatch):
    return _bench_script(monkeypatch, "train_decision")


def _validation_doc(rate: float, spun: list[int], right: float, honest: float):
    """A validation sample of 20 words ("x0 x1 … x19"), the words ``spun`` restored at probability
    ``right`` and two honest words given probability ``honest``; and those probabilities."""
    text = " ".join(f"x{k}" for k in range(20))
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    gold = {(*spans[k], "orig"): [n] for n, k in enumerate(spun)}
    rows = [(*spans[k], "orig", [rate]) for k in spun]
    probs = [right] * len(spun)
    honest_words = [k for k in range(20) if k not in spun][:2]
    rows += [(*spans[k], "other", [rate]) for k in honest_words]
    probs += [honest] * len(honest_words)
    return ("validation", text, gold, rows), probs


def test_one_threshold_keeps_each_unit_under_the_false_edit_limit(monkeypatch):
    """The trigram engine's one threshold: honest words of a sentence read alone may look spun
    where a whole document's don't; the limit holds for the sentences too."""
    td = _train_decision(monkeypatch)
    whole = [_validation_doc(0.3, [3, 9], 0.9, 0.1) for _ in range(9)]
    docs = whole + [_validation_doc(0.3, [3, 9], 0.9, 0.6)]
    samples, probs = [d for d, _ in docs], [p for _, p in docs]
    units = ["document"] * 9 + ["sentence"]
    pooled, _, _ = td.pooled_threshold(samples, probs, limit=0.02)
    assert pooled < 0.6  # over all the text, the sentence's two false edits are within the limit
    each, _, validation = td.pooled_threshold(samples, probs, limit=0.02, units=units)
    assert 0.6 <= each < 0.9 and validation["exact"] == 1.0


def test_an_ablation_leaves_the_named_features_out_of_every_row(monkeypatch):
    td = _train_decision(monkeypatch)
    sample, _ = _validation_doc(0.3, [3, 9], 0.9, 0.1)
    sample = (*sample[:3], [(a, b, c, [rate, 1.0, 2.0]) for a, b, c, (rate,) in sample[3]])
    features, (dropped,) = td.without(["gain"], ("rate", "gain", "rank"), [sample])
    assert features == ("rate", "rank")
    assert dropped[:3] == sample[:3]
    assert [f for *_, f in dropped[3]] == [[0.3, 2.0]] * len(sample[3])


def test_thresholds_per_spin_rate_keep_every_rate_under_the_false_edit_limit(monkeypatch):
    """``bench/train_decision.py``: where honest words read worse in heavily spun text, one
    threshold can't serve every rate; one per band of the rate estimate can."""
    td = _train_decision(monkeypatch)
    # Light spin: originals are likely at 0.45 and honest words never; heavy spin: originals at
    # 0.8, and honest words beside them look spun at 0.6.
    docs = [
        _validation_doc(0.0, [], 0.0, 0.3),
        _validation_doc(0.1, [3, 9], 0.45, 0.3),
        _validation_doc(0.5, list(range(0, 20, 2)), 0.8, 0.6),
    ]
    samples, probs, rates = [d for d, _ in docs], [p for _, p in docs], [0.0, 0.1, 0.5]
    single, bands, validation = td.pick_thresholds(samples, probs, rates, 0, limit=0.05)
    res = {float(r): v for r, v in validation["by_rate"].items()}
    assert single >= 0.6  # one threshold must spare the heavy text's honest words…
    assert td.evaluate(samples[1:2], probs[1:2], single)[0] == 0.0  # …and so loses the light text's
    assert list(bands.thresholds) == sorted(bands.thresholds)
    assert all(fe <= 0.05 for _, fe in res.values())
    assert res[0.1][0] == res[0.5][0] == 1.0
    assert td.pick_thresholds(samples, probs, rates, 0, limit=-1.0) is None


def test_thresholds_can_keep_each_style_under_the_false_edit_limit(monkeypatch):
    """A style whose honest words look spun can hide in the pool of all styles: with ``each``
    its text alone must meet the limit too, at the price of its own lower-scored restorations."""
    td = _train_decision(monkeypatch)
    docs = [_validation_doc(0.3, [3, 9], 0.9, 0.1) for _ in range(9)]
    docs.append(_validation_doc(0.3, [3, 9], 0.5, 0.6))  # its honest words outscore its originals
    samples, probs, rates = [d for d, _ in docs], [p for _, p in docs], [0.3] * 10
    styles = ["plain"] * 9 + ["odd"]
    _, pooled, validation = td.pick_thresholds(samples, probs, rates, 0, limit=0.02)
    assert validation["exact"] == 1.0  # two false edits in 180 honest words: within the pool's limit
    assert td.evaluate(samples[-1:], probs[-1:], pooled)[1] > 0.02  # …not within the odd style's
    _, each, validation = td.pick_thresholds(
        samples, probs, rates, 0, limit=0.02, each=(styles,), each_limit=0.02
    )
    assert td.evaluate(samples[-1:], probs[-1:], each) == (0.0, 0.0)
    assert validation["exact"] == 0.9


class _Unchanged:
    """A stand-in for nlpaug that spins nothing."""

    def spin(self, text: str):
        return text, []


def test_detection_is_measured_for_each_style_asked_for(monkeypatch):
    sentence = "The council said on Monday that the new bridge over the river would open"
    doc = corpora.Document("news/1", "news", " ".join([sentence] * 8))
    monkeypatch.setattr(run, "select_documents", lambda split, words: [doc])
    monkeypatch.setattr(run, "_nlpaug", lambda rate, seed: _Unchanged())
    rows = run.run_detection([0.3], 100, "test", log=lambda *a: None, styles=("moby", "phrase"))
    assert [r.spinner for r in rows] == [
        "unspin moby (in-distribution)", "unspin phrase (in-distribution)", "nlpaug SynonymAug (independent)"
    ]
    assert all(len(r.clean) == 1 and len(r.spun) == 1 for r in rows)


def test_the_fast_threshold_is_the_lowest_that_keeps_every_cell_under_the_cap(monkeypatch, tmp_path):
    """``bench/pick_fast_threshold.py``: the lowest candidate at which no cell (setting × unit) has
    more false edits than the cap; ``--write`` puts it in the model file the engine reads."""
    import json
    import sys

    from unspin import decision

    pf = _bench_script(monkeypatch, "pick_fast_threshold")
    assert pf.pick({0.75: [0.001, 0.006], 0.8: [0.004, 0.0044], 0.85: [0.002, 0.003]}, 0.0045) == 0.8
    assert pf.pick({0.75: [0.006], 0.8: [0.005]}, 0.0045) is None
    nan = float("nan")
    table = {
        t: {"clean 0 document": (nan, fe), "nlpaug 0.3 sentence": (0.3, fe / 2)}
        for t, fe in ((0.75, 0.006), (0.8, 0.004), (0.85, 0.002))
    }
    monkeypatch.setattr(pf, "measure", lambda words, log: table)
    model = tmp_path / "decision_fast.json"
    model.write_text(decision.FAST_MODEL_PATH.read_text())
    monkeypatch.setattr(pf, "FAST_MODEL_PATH", model)
    monkeypatch.setattr(sys, "argv", ["pick_fast_threshold.py", "--write"])
    assert pf.main() == 0
    assert decision.load_model(model, decision.FEATURES, "bench/train_decision.py").threshold == 0.8
    cells = json.loads(model.read_text())["threshold_pick"]["cells"]
    assert cells == {"clean 0 document": [None, 0.004], "nlpaug 0.3 sentence": [0.3, 0.002]}
    monkeypatch.setattr(sys, "argv", ["pick_fast_threshold.py", "--cap", "0.001"])
    assert pf.main() == 1  # no candidate qualifies: nothing is written

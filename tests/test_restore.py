import difflib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unspin import text
from unspin.results import apply_spans
from unspin.spin import Spinner

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_restoration_moves_spun_text_back_towards_the_original(restorer):
    original = (EXAMPLES / "original.txt").read_text()
    gold = Spinner().spin(original, rate=0.3, seed=7, style="mixed")
    assert gold.spun == (EXAMPLES / "spun.txt").read_text()  # the bundled example is reproducible
    result = restorer.restore(gold.spun)
    undone = {(e.spun_start, e.spun_end, e.original.lower()) for e in gold.edits}
    exact = [s for s in result.spans if (s.start, s.end, s.suggestion.lower()) in undone]
    assert len(exact) > len(result.spans) / 2  # most edits undo a real substitution
    before = difflib.SequenceMatcher(None, original.split(), gold.spun.split()).ratio()
    after = difflib.SequenceMatcher(None, original.split(), result.text.split()).ratio()
    assert after > before
    for s in exact:
        assert 0 < s.confidence <= 1
        assert s.evidence.lm_gain > 0 and s.evidence.sources


def test_output_equals_input_outside_the_spans(restorer):
    spun = (
        "Last fountain  the  Company commenced building.\n\n\tA second\u00a0paragraph, with odd   spacing!\n"
    )
    result = restorer.restore(spun)
    pos = 0
    for s in result.spans:
        assert result.source[pos : s.start] in result.text
        pos = s.end
    assert apply_spans(spun, result.spans) == result.text


def test_capitalisation_is_carried_over(restorer):
    spun = (EXAMPLES / "spun.txt").read_text()
    spans = restorer.restore(spun + "\n\n" + spun.upper()).spans  # shouting: every edit capitalised
    capitalised = [s for s in spans if s.observed[:1].isupper()]
    assert capitalised
    for s in capitalised:
        assert s.suggestion[:1].isupper()
        if s.observed.isupper() and len(s.observed) > 1:
            assert s.suggestion.isupper()


def test_a_suggestion_written_with_capitals_keeps_them():
    from unspin import Restorer
    from unspin.decision import FEATURES, RateThresholds

    r = Restorer()
    r.decision.by_rate = RateThresholds(FEATURES.index("rate_logit"), (), (0.01,))  # edit where it can
    source = "Federal Bureau of Investigation agents met the agency's director in the white house."
    spans = r.restore(source).spans
    suggestions = [x for s in spans for x in (s.suggestion, *(a.text for a in s.alternatives))]
    assert "FBI" in suggestions, spans
    assert not {"Fbi", "fbi", "white House"} & set(suggestions)


def test_more_edits_on_spun_than_on_clean_text(restorer):
    clean = (
        "The city council voted on Tuesday to expand the bus network after a long debate about the cost of "
        "new routes. Supporters said the change would help thousands of workers who spend more than an hour "
        "getting to their jobs, and the mayor promised that the new service would be cheap and reliable."
    )
    spun = Spinner().spin(clean, rate=0.4, seed=3, style="wordnet").spun
    assert len(restorer.restore(spun).spans) > len(restorer.restore(clean).spans)
    assert restorer.restore(clean).spin_rate < restorer.restore(spun).spin_rate


def test_spun_phrases_with_digits_are_candidates_but_tokens_with_digits_alone_are_not(restorer):
    # WordNet lists "atomic number 2" (helium): a spinner can paste it for "he".
    chunk = next(text.chunks("She came 3rd of 40 runners, with atomic number 2 in the balloon"))
    toks = [t.text for t in chunk.tokens]
    by_start = restorer.candidates.options(chunk)
    assert any(o.end - o.start == 3 for o in by_start[toks.index("atomic")])  # one span
    for k, t in enumerate(chunk.tokens):
        if t.has_digit:  # "3rd", "40", "2": honest text is full of them
            assert not any(o.end - o.start == 1 for o in by_start[k])
    honest = "In 2010, 2 of the 40 runners finished in 3 hours and the 1st prize went to a woman of 70."
    for span in restorer.restore(honest).spans:
        assert not any(c.isdigit() for c in span.observed)


def test_empty_and_non_english_input(restorer):
    assert restorer.restore("").text == ""
    assert restorer.restore("   \n\n").spans == []
    for s in ["Это просто текст на русском языке.", "这是中文。", "12345 67 890", "\x00\x01 ☃"]:
        r = restorer.restore(s)
        assert apply_spans(s, r.spans) == r.text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_spans_are_valid_for_any_unicode(restorer, s):
    r = restorer.restore(s)
    last = 0
    for span in r.spans:
        assert last <= span.start < span.end <= len(s)  # ordered, non-overlapping, in range
        assert s[span.start : span.end] == span.observed
        last = span.end
    assert r.text == apply_spans(s, r.spans)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.sampled_from("the old house was bought by a man who sold his fountain last spring .".split()),
        max_size=60,
    )
)
def test_spans_are_valid_on_wordy_input(restorer, words):
    s = " ".join(words)
    r = restorer.restore(s)
    last = 0
    for span in r.spans:
        assert last <= span.start < span.end <= len(s)
        last = span.end
    assert r.text == apply_spans(s, r.spans)


def test_learned_decision_model_gives_valid_calibrated_spans():
    from unspin import Restorer
    from unspin.decision import load_decision_model

    model = load_decision_model("fast")
    assert model is not None and 0 < model.threshold < 1
    with pytest.raises(ValueError, match="fast or neural"):
        load_decision_model("trigram")
    r = Restorer()  # the trigram engine decides with it by default
    spun = (EXAMPLES / "spun.txt").read_text()
    result = r.restore(spun)
    assert result.spans
    for s in result.spans:
        # the threshold bounds the chance the span was spun at all, not its best guess's
        assert model.lowest_threshold <= 1 - s.evidence.keep_probability + 1e-6
        assert 0 < s.confidence <= 1
        assert spun[s.start : s.end] == s.observed
    assert result.text == apply_spans(spun, result.spans)


def test_a_spun_word_whose_candidates_split_the_evidence_is_still_restored():
    from unspin.decision import Row, choose

    def row(start: int, end: int, text: str, probability: float) -> Row:
        return Row(start, end, text, 0.0, [], probability)  # (option = its text)

    # "be" was spun from "is" or "was": together 0.82 that it was spun, neither alone over 0.55.
    # A lone candidate as likely as the best of them stays under the threshold.
    rows = [row(0, 1, "is", 0.47), row(0, 1, "was", 0.35), row(2, 3, "large", 0.47)]
    chosen = choose(rows, 0.55)
    assert [(r.option, [x.option for x in rivals]) for r, rivals in chosen] == [("is", ["was"])]


def test_rows_say_which_candidates_are_the_observed_words_own_inflections(restorer):
    # A spinner pasting WordNet's lemmas turns "workers" into "worker", "wrote" into "write".
    from unspin.decision import FEATURES

    own = FEATURES.index("own_form")
    text = "The worker embody the rule of the company, and the director write that the plan be good."
    rows = restorer.feature_rows(text)
    flagged = {(text[s:e].lower(), c) for s, e, c, f in rows if f[own]}
    assert {("worker", "workers"), ("write", "wrote")} <= flagged
    for s, e, c, f in rows:
        assert f[own] == (c in restorer.candidates.own_forms(text[s:e].lower()))


def test_a_paragraphs_own_form_share_counts_its_strongly_evidenced_words():
    from unspin.candidates import Option
    from unspin.decision import FEATURES, NEURAL_FEATURES, Row, add_neural_features

    own = FEATURES.index("own_form")

    def row(start: int, own_form: bool) -> Row:
        features = [0.0] * len(FEATURES)
        features[own] = float(own_form)
        return Row(start, start + 1, Option(start, start + 1, "x", ("x",), 0.0, 1), 0.0, features)

    # Words 0-2 have a candidate gaining over NEURAL_STRONG nats; the best of two of them is an
    # own form (word 0's other candidate, an own form too, isn't its best); word 3's is weak.
    rows = [row(0, False), row(0, True), row(1, True), row(2, True), row(3, True)]
    add_neural_features([rows], [6.0, 1.0, 5.0, 4.0, 1.0], words=10)
    at = {f: len(FEATURES) + NEURAL_FEATURES.index(f) for f in ("neural_rate", "neural_own")}
    assert rows[0].features[at["neural_rate"]] == pytest.approx(3 / 10)
    assert all(r.features[at["neural_own"]] == pytest.approx(2 / (3 + 1)) for r in rows)


def test_tree_model_file_reads_as_its_docstring_says(tmp_path):
    import json
    import math

    from unspin.decision import BoostedTrees, load_model

    # Two trees over features (a, b). Tree 1: a <= 0.5 ? (b <= 2 ? -1 : +1) : +2. Tree 2: +0.5.
    spec = {
        "features": ["a", "b"], "baseline": -0.25, "depth": 2, "roots": [0, 5],
        "feature": [0, 1, -1, -1, -1, -1], "split": [0.5, 2.0, 0, 0, 0, 0],
        "left": [1, 2, 0, 0, 0, 0], "right": [4, 3, 0, 0, 0, 0],
        "value": [0, 0, -1.0, 1.0, 2.0, 0.5], "threshold": 0.6,
    }  # fmt: skip
    (tmp_path / "m.json").write_text(json.dumps(spec))
    model = load_model(tmp_path / "m.json", ("a", "b"), "the trainer")
    assert isinstance(model, BoostedTrees) and model.threshold == 0.6
    rows = [[0.5, 2.0], [0.0, 3.0], [0.51, -9.0]]  # at a split goes left
    expected = [1 / (1 + math.exp(-(-0.25 + v + 0.5))) for v in (-1.0, 1.0, 2.0)]
    assert model.probabilities(rows) == pytest.approx(expected)
    assert model.probability(rows[1]) == pytest.approx(expected[1])
    with pytest.raises(ValueError, match="the trainer"):
        load_model(tmp_path / "m.json", ("a", "c"), "the trainer")


def test_a_model_file_may_give_a_threshold_per_band_of_the_spin_rate(tmp_path):
    import json

    from unspin.decision import load_model

    spec = {
        "features": ["gain", "neural_rate"], "coef": [1.0, 0.0], "intercept": 0.0,
        "mean": [0.0, 0.0], "scale": [1.0, 1.0], "threshold": 0.7,
    }  # fmt: skip
    (tmp_path / "one.json").write_text(json.dumps(spec))
    one = load_model(tmp_path / "one.json", ("gain", "neural_rate"), "the trainer")
    assert one.by_rate is None and one.threshold_for([0.0, 0.4]) == one.lowest_threshold == 0.7
    # the docstring's worked example
    spec["rate_thresholds"] = {
        "feature": "neural_rate", "edges": [0.06, 0.15, 0.25], "thresholds": [0.4, 0.4, 0.675, 0.75],
    }  # fmt: skip
    (tmp_path / "bands.json").write_text(json.dumps(spec))
    model = load_model(tmp_path / "bands.json", ("gain", "neural_rate"), "the trainer")
    rates = (0.0, 0.1, 0.2, 0.25, 0.9)
    assert [model.threshold_for([9.0, r]) for r in rates] == [0.4, 0.4, 0.675, 0.75, 0.75]
    assert model.lowest_threshold == 0.4
    # the upper two bands read as heavily spun, the 0.675 one too though it is under the file's 0.7
    assert [model.by_rate.heavy([9.0, r]) for r in rates] == [False, False, True, True, True]
    spec["rate_thresholds"]["thresholds"] = [0.4, 0.5]
    (tmp_path / "bad.json").write_text(json.dumps(spec))
    with pytest.raises(ValueError, match="rate_thresholds"):
        load_model(tmp_path / "bad.json", ("gain", "neural_rate"), "the trainer")


def test_the_engine_edits_at_its_paragraphs_band_threshold():
    from unspin import Restorer
    from unspin.decision import FEATURES, RateThresholds

    r = Restorer()
    spun = (EXAMPLES / "spun.txt").read_text()
    rate = FEATURES.index("rate_logit")
    r.decision.by_rate = RateThresholds(rate, (), (0.05,))
    loose = r.restore(spun).spans
    # a band the document's rate estimate falls in (every row's rate_logit is under 100) is strict
    r.decision.by_rate = RateThresholds(rate, (100.0,), (0.95, 0.05))
    strict = r.restore(spun).spans
    assert len(strict) < len(loose)
    assert all(1 - s.evidence.keep_probability >= 0.95 - 1e-6 for s in strict)


def test_document_cache_favours_originals_used_elsewhere(restorer):
    from unspin import Restorer
    from unspin.scoring import Params, cache_bonus

    p = Params()
    assert cache_bonus(0, 100, -9.0, p) == 0.0
    assert 0 < cache_bonus(1, 100, -9.0, p) < cache_bonus(3, 100, -9.0, p) <= p.cache_cap
    assert cache_bonus(3, 100, -3.0, p) < cache_bonus(3, 100, -9.0, p)  # common words gain little

    spun = "The council will vote on the invoice next week."
    context = "The bill sets new rules for buses. Critics of the bill want changes. The bill is long.\n\n"

    # the noisy channel, edits near the line
    eager = Restorer(restorer.lexicon, restorer.lm, Params(edit_margin=-2.0), use_decision_model=False)

    def confidence(source: str) -> float:
        spans = [s for s in eager.restore(source).spans if s.observed == "invoice"]
        return spans[0].confidence if spans and spans[0].suggestion == "bill" else 0.0

    assert confidence(context + spun) > confidence(spun)


def test_known_terms_restore_a_tortured_phrase_when_asked():
    from unspin import Restorer
    from unspin.scoring import Params

    # the noisy channel: the trigram engine's decision model is trained without known terms
    restorer = Restorer(params=Params(known_terms=True), use_decision_model=False)
    if not restorer.candidates.terms.is_term("signal to noise ratio".split()):
        pytest.skip("'signal to noise ratio' not in the term inventory (WordNet and dict-foldoc)")
    spun = "The flag to commotion proportion was low in the recordings."
    assert restorer.restore(spun).text == "The signal to noise ratio was low in the recordings."
    # the trigram engine goes without known terms by default
    assert "signal to noise" not in Restorer().restore(spun).text

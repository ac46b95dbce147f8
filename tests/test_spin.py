import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unspin.spin import STYLES

TEXT = (
    "The White House said on Monday that the bill passed the Senate after a long debate. "
    "The company bought the building last spring and began work on a new home. "
    "In order to finish on time, the workers were fired."
)


def check_gold(result):
    rebuilt, pos = [], 0
    for e in result.edits:
        assert result.original[e.orig_start : e.orig_end] == e.original
        assert result.spun[e.spun_start : e.spun_end] == e.substitute
        rebuilt += [result.original[pos : e.orig_start], e.substitute]
        pos = e.orig_end
    rebuilt.append(result.original[pos:])
    assert "".join(rebuilt) == result.spun


@pytest.mark.parametrize("style", STYLES)
def test_styles_swap_words_and_record_them(spinner, style):
    r = spinner.spin(TEXT, rate=0.5, seed=1, style=style)
    assert r.edits and r.spun != TEXT
    check_gold(r)


def test_anysense_draws_synonyms_of_any_sense(spinner):
    # "spring": the season, a coil, a fountain, to jump… The wordnet style always takes the
    # first synonym of the first sense; anysense ranges over them all.
    first = {spinner.spin("spring", rate=1.0, seed=s, style="wordnet").spun for s in range(20)}
    anysense = {spinner.spin("spring", rate=1.0, seed=s, style="anysense").spun for s in range(20)}
    assert len(first) == 1 and len(anysense) > 3
    assert anysense <= set(spinner.wordnet["spring"])


def test_synset_style_often_pastes_a_words_own_lemma(spinner):
    # Every WordNet sense of "workers" lists "worker" (some nothing else); the headword style
    # picks among the deduplicated synonyms, so the lemma is one choice of many there.
    def picks(style):
        return [spinner.spin("workers", rate=1.0, seed=s, style=style).spun for s in range(40)]

    synset = picks("synset")
    assert synset.count("worker") > 2 * max(picks("headword").count("worker"), 1)
    assert set(synset) <= {"worker", *spinner.wordnet["worker"]}


def test_same_seed_same_output_other_seed_other_output(spinner):
    a = spinner.spin(TEXT, rate=0.3, seed=5)
    assert a.spun == spinner.spin(TEXT, rate=0.3, seed=5).spun
    assert any(spinner.spin(TEXT, rate=0.3, seed=s).spun != a.spun for s in range(6, 10))


def test_rate_controls_the_amount(spinner):
    low = sum(len(spinner.spin(TEXT, rate=0.1, seed=s).edits) for s in range(10))
    high = sum(len(spinner.spin(TEXT, rate=0.6, seed=s).edits) for s in range(10))
    assert high > 2 * low


def test_tense_and_number_are_kept(spinner):
    past = spinner._inflected_synonyms("bought", "wordnet")
    assert "purchased" in past and "purchase" not in past
    plural = spinner._inflected_synonyms("houses", "moby")
    assert "homes" in plural and "home" not in plural


def test_protect_entities(spinner):
    r = spinner.spin(TEXT, rate=1.0, seed=3, style="moby", protect_entities=True)
    assert all(
        not e.original[:1].isupper() or e.orig_start == 0 or TEXT[e.orig_start - 2] == "." for e in r.edits
    )


@pytest.mark.parametrize("style", STYLES)
def test_numbers_and_words_with_digits_are_never_spun(spinner, style):
    source = "Since the 1890s, at 8:00am, 2 people checked the MD5 sums in 3 days of the 20th century."
    for seed in range(5):
        r = spinner.spin(source, rate=1.0, seed=seed, style=style)
        check_gold(r)  # (a substitute may have digits: "at" → "85", astatine's atomic number)
        assert r.edits
        for e in r.edits:  # not a number, nor the letters of one ("1890s", "8:00am")
            assert not any(c.isdigit() for c in source[max(0, e.orig_start - 1) : e.orig_end + 1])


def test_empty_input(spinner):
    r = spinner.spin("", rate=0.5)
    assert r.spun == "" and r.edits == []


def test_gold_reproduces_spun_text_on_thousands_of_random_inputs(spinner):
    rng = random.Random(0)
    vocab = TEXT.replace(".", " .").replace(",", " ,").split() + ["\n\n", "Über", "naïve", "’s", "-", "3"]
    for k in range(2000):
        words = [rng.choice(vocab) for _ in range(rng.randint(0, 30))]
        s = rng.choice([" ", "", "  "]).join(words)
        check_gold(spinner.spin(s, rate=rng.random(), seed=k, style=rng.choice(STYLES)))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200), st.sampled_from(STYLES))
def test_gold_on_arbitrary_unicode(spinner, s, style):
    check_gold(spinner.spin(s, rate=0.5, seed=1, style=style))

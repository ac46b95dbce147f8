from unspin import lexicon


def originals(word):
    return [c.text for c in lexicon.load().originals(word)]


def test_reverse_lookup_is_inflection_aware():
    assert "bought" in originals("purchased")  # past tense stays past tense
    assert "began" in originals("commenced")
    assert "houses" in originals("homes")  # a plural stays plural
    assert "spring" in originals("fountain")


def test_uninflected_substitute_may_stand_for_an_inflected_original():
    # Spinners like nlpaug put the synonym's base form in place of "bought".
    assert "bought" in originals("purchase")


def test_multiword_on_both_sides():
    assert "investigate" in originals("look into")
    assert any(" " in c for c in originals("now"))


def test_channel_scores_are_log_probabilities():
    for c in lexicon.load().originals("fountain"):
        assert c.channel <= 0
        assert c.sources and set(lexicon.source_names(c.sources)) <= {"wordnet", "moby", "mythes"}


def test_unknown_words_have_no_candidates():
    assert originals("qwzxv") == []


def test_lm_tells_known_words_from_unknown_ones():
    from unspin import lm

    model = lm.load()
    assert model.known("house") and model.known("the")
    assert not model.known("qwzxvbn")
    # ...also when the unknown word was first met inside a context
    model.logp("zzyzxqv", ("the",))
    assert not model.known("zzyzxqv")


def test_own_inflections_survive_the_short_list_cut():
    # "power" has dozens of synonyms that outrank its own forms by P(o | c) P(c); a spinner
    # that writes dictionary forms turns "powers" into "power", so "powers" must stay.
    from unspin import Restorer

    ranked = [c[0] for c in Restorer().candidates.ranked("power")]
    assert "powers" in ranked and len(ranked) > 10


def test_each_thesaurus_keeps_its_best_links_on_the_short_list():
    # Moby's many loose synonyms of "control" ("see", "will", "time") outrank WordNet's
    # "command" by P(o | c) P(c); a spinner drawing on WordNet needs it all the same. The
    # trigram engine's list leaves such originals out (it can't tell them apart); the
    # neural re-scorer's list keeps them.
    from unspin import lm
    from unspin.candidates import Candidates

    lex, model = lexicon.load(), lm.load()
    full = [c[0] for c in Candidates(lex, model, 10, source_best=True).ranked("control")]
    short = [c[0] for c in Candidates(lex, model, 10, source_best=False).ranked("control")]
    assert "command" in full and "command" not in short
    assert set(short) < set(full)
    # ...and a big thesaurus can't crowd another's exact link out of the lexicon itself.
    assert "petroleum" in originals("oil")

import pytest

from unspin import lexicon


def originals(word):
    return [c.text for c in lexicon.load().originals(word)]


def test_reverse_lookup_is_inflection_aware():
    assert "bought" in originals("purchased")  # past tense stays past tense
    assert "began" in originals("commenced")
    assert "houses" in originals("homes")  # a plural stays plural
    assert "spring" in originals("fountain")


def test_words_written_with_capitals_are_known_but_not_plain_words_that_share_letters():
    lex = lexicon.load()
    assert lex.written_form("fbi") == "FBI"
    assert lex.written_form("white house") == "White House"
    assert lex.written_form("september") == "September"
    # a closed-class word, another lemma's inflection, a two-letter code, a word written both ways
    for plain in ("us", "led", "oh", "march", "spring"):
        assert lex.written_form(plain) is None, plain


def test_uninflected_substitute_may_stand_for_an_inflected_original():
    # Spinners like nlpaug put the synonym's base form in place of "bought".
    assert "bought" in originals("purchase")


def test_multiword_on_both_sides():
    assert "investigate" in originals("look into")
    assert any(" " in c for c in originals("now"))


def test_an_inflected_phrase_stands_for_originals_in_its_inflection():
    # Moby's "be extant" and "little fellow" aren't WordNet lemmas, but spinners inflect them
    # all the same: "is" → "is extant", "children" → "little fellows".
    lex = lexicon.load()
    assert [(lex.strings[lemma], tag) for lemma, tag in lex.analyses("is extant")] == [("be extant", "VBZ")]
    assert "is" in originals("is extant") and "was" in originals("was extant")
    assert "is" not in originals("was extant")
    assert "children" in originals("little fellows")


def test_a_spelling_variant_is_no_candidate():
    # WordNet lists "organise" with "organize": one for the other restores nothing, and honest
    # British text must not be flagged.
    lex = lexicon.load()
    assert "arranged" in originals("organized") and "organize" in originals("coordinate")  # synonyms stay
    for observed, other in (("organised", "organized"), ("colour", "color"), ("centre", "center")):
        assert lexicon.spelling_variants(observed, other)
        assert other not in originals(observed) and other not in [c.text for c in lex.ranked(observed)]
    assert not lexicon.spelling_variants("called", "caled") and not lexicon.spelling_variants("four", "for")


def test_channel_scores_are_log_probabilities():
    for c in lexicon.load().originals("fountain"):
        assert c.channel <= 0
        assert c.sources and set(lexicon.source_names(c.sources)) <= {"wordnet", "moby", "mythes", "pivot"}


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


def test_the_large_tables_stay_out_of_the_garbage_collectors_way():
    # Full collections walk every tracked container: the lexicon's tables and the LM's cache
    # must hold only atoms (tuples of them are untracked once the collector has seen them).
    import gc

    from unspin import lm

    lex, model = lexicon.load(), lm.load()
    model.logp("lexicon", ("the",))
    gc.collect()
    assert not any(gc.is_tracked(t) for t in (lex.strings, lex.unigram, lex.rev_ptr, lex.top_ptr))
    model.logp("tables", ("large", "the"))
    assert not gc.is_tracked(model.cache)


def test_a_link_both_words_list_survives_the_cut():
    # Moby lists 672 words for "fire", so P("blaze" | "fire") is thin and "fire" falls past the cut
    # of the 40 likeliest originals of "blaze"; but "blaze" lists "fire" too (lexicon.TWO_WAY), and a
    # spinner with short, curated lists uses such links
    assert "fire" in originals("blaze") and "fired" in originals("blazed")
    assert "measure" in originals("gauge") and "factory" in originals("plant")


def test_own_inflections_survive_the_short_list_cut():
    # "power" has dozens of synonyms that outrank its own forms by P(o | c) P(c); a spinner
    # that writes dictionary forms turns "powers" into "power", so "powers" must stay.
    from unspin import Restorer

    ranked = [c[0] for c in Restorer().candidates.ranked("power")]
    assert "powers" in ranked and len(ranked) > 10


def test_a_dictionary_form_may_stand_for_its_candidates_inflections(restorer):
    # A headword-pasting spinner turns "suggests" into "indicate": with ``reinflect`` the
    # inflections of its lemma candidates join the list, and an inflected form gets none.
    from unspin.candidates import Candidates

    plain = Candidates(restorer.lexicon, restorer.lm, 10)
    reinflected = Candidates(restorer.lexicon, restorer.lm, 10, reinflect=8)
    listed = [c[0] for c in plain.ranked("indicate")]
    added = [c[0] for c in reinflected.ranked("indicate")][len(listed) :]
    assert "suggest" in listed and "suggests" not in listed
    assert "suggests" in added and "suggesting" in added
    assert not set(added) & set(listed)
    assert reinflected.ranked("indicates") == plain.ranked("indicates")


def test_the_long_list_is_the_short_list_then_the_next_originals_by_the_same_rank(restorer):
    # For an engine that can rank many candidates in context (the neural bound): "enactment" is
    # Moby's far down the list of "concurrent resolution", past the short list but in the tail.
    from unspin.candidates import Candidates

    short = Candidates(restorer.lexicon, restorer.lm, 10)
    long = Candidates(restorer.lexicon, restorer.lm, 10, tail=40)
    for observed in ("concurrent resolution", "fountain", "blazed"):
        ranked, listed = short.ranked(observed), long.listed(observed)
        assert listed[: len(ranked)] == ranked and short.listed(observed) == ranked
        tail = listed[len(ranked) :]
        assert 0 < len(tail) <= 40
        assert len({c[0] for c in listed}) == len(listed)  # none twice
        ranks = [c[2] + c[4] for c in tail]  # channel + unigram gain: the context-free rank
        assert ranks == sorted(ranks, reverse=True)
    assert "enactment" in [c[0] for c in long.listed("concurrent resolution")]
    assert "enactment" not in [c[0] for c in short.ranked("concurrent resolution")]
    assert long.listed("qwxz") == ()


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


def _write_dictd(directory, name, entries):
    """A dictd dictionary as Debian ships it: ``name.index`` (base-64 offsets) + ``name.dict.dz``."""
    import gzip

    digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    def b64(n):
        out = ""
        while True:
            out = digits[n % 64] + out
            n //= 64
            if not n:
                return out

    data, index = b"", []
    for head, body in entries:
        raw = body.encode()
        index.append(f"{head.lower()}\t{b64(len(data))}\t{b64(len(raw))}\n")
        data += raw
    (directory / f"{name}.index").write_text("".join(sorted(index)))
    with gzip.open(directory / f"{name}.dict.dz", "wb") as f:
        f.write(data)


def test_bilingual_pivot_needs_two_agreeing_translations(tmp_path):
    from unspin.thesaurus import pivot_pairs

    _write_dictd(tmp_path, "german-english", [
        ("beginnen", "beginnen\n {v}\n   to begin; to start; to commence\n"),
        ("anfangen", "anfangen\n {v}\n   to begin; to start (sth.)\n"),
        ("Bank", "Bank\n {f} [fin.]\n   bank; bench\n"),
    ])  # fmt: skip
    _write_dictd(tmp_path, "freedict-eng-deu", [
        ("commence", "commence /kəˈmɛns/\nbeginnen <v>, starten <v>\n"),
        ("kick off", "kick off /kɪk ɒf/\nstarten <v> [fig.]\n"),
        ("start", "start /stɑːt/\nstarten <v>\n"),
    ])  # fmt: skip
    pairs = {(a, b): n for a, b, n in pivot_pairs(tmp_path)}
    assert pairs[("begin", "start")] == 2  # beginnen and anfangen agree; "(sth.)" and "to" dropped
    assert pairs[("commence", "start")] == 2  # a FreeDict entry read the other way round
    assert ("bank", "bench") not in pairs  # one German word alone doesn't make a paraphrase
    assert ("kick off", "start") not in pairs
    assert list(pivot_pairs(tmp_path / "missing")) == []  # the dictionaries are optional


def test_pivot_links_reach_the_lexicon():
    # From Debian's dict-de-en: "right now" and "at this moment" translate the same German
    # phrases, and no thesaurus links them.
    from unspin import resources

    directory = resources.dictd_dir()
    if directory is None or not (directory / "german-english.index").exists():
        pytest.skip("dict-de-en not installed (optional; scripts/system-deps.sh installs it)")
    links = {c.text: c.sources for c in lexicon.load().originals("right now")}
    assert links.get("at this moment") == lexicon.PIVOT


def test_term_inventory_reads_multiword_headwords(tmp_path):
    from unspin.thesaurus import term_inventory

    wordnet = tmp_path / "wordnet"
    wordnet.mkdir()
    for name in ("noun", "verb", "adj", "adv"):
        (wordnet / f"data.{name}").write_text("")
    (tmp_path / "foldoc.index").write_text(
        "00databaseinfo\tA\tB\nRandom-Access Memory\tA\tB\nrandom access memory\tC\tD\n"
        "compiler\tE\tF\nC++ compiler\tG\tH\na very long term name\tI\tJ\n"
    )
    terms = list(term_inventory(wordnet, tmp_path))
    # lower case, hyphens as spaces, each once; single words, symbols and 5+ words left out
    assert terms == ["random access memory"]


@pytest.fixture(scope="module")
def known_terms():
    from unspin import resources
    from unspin.candidates import CLOSED_CLASS
    from unspin.terms import TermIndex

    index = TermIndex(lexicon.load(), CLOSED_CLASS)
    if not any(index.lexicon.strings[w] == "signal" for t in index.terms for w in t[:1]):
        pytest.skip(f"no technical terms in the inventory (dict-foldoc missing from {resources.dictd_dir()})")
    return index


def term_matches(index, phrase: str) -> set[str]:
    words = phrase.split()
    return {m.text for m in index.matches(words, [True] * (len(words) - 1) + [False])}


def test_a_known_term_spun_word_by_word_is_a_candidate(known_terms):
    # Moby links each pair, far past the lexicon's cut; WordNet knows the term.
    assert "signal to noise ratio" in term_matches(known_terms, "flag to commotion proportion")
    assert "artificial intelligence" in term_matches(known_terms, "counterfeit consciousness")
    # the head noun keeps its inflection
    assert "neural network" in term_matches(known_terms, "nervous organization")
    assert "neural networks" in term_matches(known_terms, "nervous organizations")


def test_term_function_words_and_kept_words_must_match(known_terms):
    assert "signal to noise ratio" not in term_matches(known_terms, "flag of commotion proportion")
    # a word kept as it is: the single-word candidates cover that case, not the term
    assert "artificial intelligence" not in term_matches(known_terms, "artificial consciousness")
    # a known term already there is not traded for another
    assert term_matches(known_terms, "artificial intelligence") == set()


def test_a_term_word_is_not_matched_through_another_spelling(known_terms):
    # "organised" for "organized" is no swap: a British "organised offence" is one word kept and
    # one spun, not the term spun word by word.
    assert "organized crime" in term_matches(known_terms, "unionized offence")
    assert "organized crime" not in term_matches(known_terms, "organised offence")

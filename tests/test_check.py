import json
import subprocess
import sys
from pathlib import Path

import unspin
from unspin.check import NOT_SPUN, SPUN, UNREADABLE
from unspin.results import Span

EXAMPLES = Path(__file__).parent.parent / "examples"


def unspin_cli(*args, stdin=b""):
    return subprocess.run([sys.executable, "-m", "unspin.cli", *args], input=stdin, capture_output=True)


def test_spun_text_scores_above_its_original():
    spun = unspin.check((EXAMPLES / "spun.txt").read_text())
    clean = unspin.check((EXAMPLES / "original.txt").read_text())
    assert spun.probability > clean.probability
    assert spun.verdict == SPUN and clean.verdict == NOT_SPUN
    assert spun.spans and spun.suspicious_share > clean.suspicious_share


def test_flagged_spans_are_the_restoration_and_only_where_judged_spun():
    spun = (EXAMPLES / "spun.txt").read_text()
    assert unspin.check(spun).spans == unspin.restore(spun).spans
    clean = unspin.check((EXAMPLES / "original.txt").read_text())
    assert clean.verdict == NOT_SPUN and not clean.spans


def test_paragraph_tallies_add_up_to_the_document():
    from unspin.check import FEATURES, Detector

    detector = Detector()
    spun = (EXAMPLES / "spun.txt").read_text()
    doc, paras, sents = detector.tallies(spun)
    for field in ("words", "strong", "gain"):
        total = sum(getattr(t, field) for _, _, t in paras)
        assert abs(total - getattr(doc, field)) < 1e-6
        assert abs(sum(getattr(t, field) for _, _, t in sents) - total) < 1e-6
    assert doc.bins == [sum(col) for col in zip(*(t.bins for _, _, t in sents))]
    assert sum(doc.bins) == doc.words
    llr_10 = doc.features(detector.likelihood)[FEATURES.index("llr_10")]
    assert llr_10 > 0  # spun text is likelier under "spun at 10 %" than under "clean"
    clean = detector.tallies((EXAMPLES / "original.txt").read_text())[0]
    assert clean.features(detector.likelihood)[FEATURES.index("llr_10")] < llr_10


def test_word_likelihood_ratio_matches_its_definition():
    import math

    from unspin.check import MIX_RATES, NBINS, WordLikelihood

    lik = WordLikelihood(spun=[float(k) for k in range(NBINS)], kept=[0.1] * NBINS)
    r = MIX_RATES[1]
    assert math.isclose(lik.by_rate[1][7], math.log((1 - r) * math.exp(0.1) + r * math.exp(7.0)))
    assert lik.bin(-math.inf) == 0 and lik.bin(0.0) == 0 and lik.bin(0.5) == 1
    assert lik.bin(100.0) == NBINS // 2 - 1 and lik.bin(100.0, name_like=True) == NBINS - 1


def test_paragraph_and_sentence_units_cover_the_text():
    source = (EXAMPLES / "spun.txt").read_text()
    r = unspin.check(source)
    assert len(r.paragraphs) == source.count("\n\n") + 1
    assert len(r.sentences) >= len(r.paragraphs)
    for u in r.paragraphs + r.sentences:
        assert 0 <= u.start < u.end <= len(source)
        assert u.probability is None or 0 <= u.probability <= 1
    assert sum(u.words for u in r.paragraphs) == r.words


def test_no_confident_verdict_on_text_it_cannot_read():
    for source in [
        "",
        "Too short.",
        "Это просто текст на русском языке, и его нельзя проверить честно.",
        "1234 5678 9012 " * 20,
    ]:
        r = unspin.check(source)
        assert r.verdict == UNREADABLE and r.probability is None


def test_cli_fail_above_directories_and_bad_files(tmp_path):
    (tmp_path / "a.txt").write_text((EXAMPLES / "spun.txt").read_text())
    (tmp_path / "b.txt").write_text((EXAMPLES / "original.txt").read_text())
    out = unspin_cli("check", str(tmp_path))
    assert out.returncode == 0
    lines = out.stdout.decode().splitlines()
    assert len(lines) == 3 and "2 documents checked, 1 judged spun" in lines[-1]
    assert unspin_cli("check", "--fail-above", "0.5", str(tmp_path)).returncode == 1
    (tmp_path / "c.bin").write_bytes(b"\x00\x01binary")
    out = unspin_cli("check", "--format", "jsonl", str(tmp_path))
    assert out.returncode == 2  # the bad file is reported, the others still judged
    assert len(out.stdout.decode().splitlines()) == 2
    assert b"binary" in out.stderr


def test_cli_json_and_html_reports():
    r = json.loads(unspin_cli("check", "--format", "json", str(EXAMPLES / "spun.txt")).stdout)
    assert r["verdict"] == SPUN and r["spans"] and r["paragraphs"] and r["sentences"]
    html = unspin_cli("check", "--format", "html", str(EXAMPLES / "spun.txt")).stdout.decode()
    assert html.startswith("<!doctype html>") and "<mark" in html and "http" not in html
    fast = json.loads(unspin_cli("check", "--fast", "--format", "json", str(EXAMPLES / "spun.txt")).stdout)
    assert fast["verdict"] == SPUN and not fast["confirmed"]


def test_phrase_discovery_ranks_phrases_shared_across_documents():
    from unspin.check import discover_phrases

    original = (EXAMPLES / "original.txt").read_text()
    docs = [
        (f"d{seed}", unspin.spin(original, rate=0.3, seed=seed, style="phrase").spun) for seed in range(3)
    ]
    found = discover_phrases(docs)
    assert found
    for f in found:
        assert " " in f.phrase or " " in f.likely_original
        assert 1 <= f.documents <= f.count
        for name, start, end in f.occurrences:
            text = dict(docs)[name]
            assert " ".join(text[start:end].lower().split()) == f.phrase
    docs_counts = [f.documents for f in found]
    assert docs_counts == sorted(docs_counts, reverse=True)


def test_known_terms_the_neural_lm_prefers_by_far_are_findings_where_nothing_was_restored():
    """``check --phrases``: a known term that the neural LM prefers to every other reading of a run
    by more than ``TERM_FLAG_LEAD`` nats flags the run (a tortured phrase in lightly spun text),
    unless the restorer already edited it; a weaker lead, or a candidate that is no term, doesn't."""
    from types import SimpleNamespace

    from unspin.check import TERM_FLAG_LEAD, discover_phrases, term_flags
    from unspin.decision import FEATURES, NEURAL_FEATURES

    names = FEATURES + NEURAL_FEATURES
    source = "A flag to commotion proportion and a counterfeit consciousness, then a Pale Home."

    def row(observed: str, candidate: str, term: bool, lead: float):
        features = [0.0] * len(names)
        features[names.index("term")] = float(term)
        features[names.index("neural_lead")] = lead
        start = source.index(observed)
        return start, start + len(observed), candidate, features

    rows = [
        row("flag to commotion proportion", "signal to noise ratio", True, TERM_FLAG_LEAD + 18),
        row("counterfeit consciousness", "artificial intelligence", True, TERM_FLAG_LEAD + 0.6),
        row("Pale Home", "White House", True, TERM_FLAG_LEAD - 1),  # too weak a lead
        row("commotion", "noise", False, TERM_FLAG_LEAD + 5),  # no term
    ]
    neural = SimpleNamespace(neural=object(), feature_rows=lambda text: rows)
    flags = [term for _, _, term, _ in term_flags(neural, source)]
    assert flags == ["signal to noise ratio", "artificial intelligence"]
    assert term_flags(SimpleNamespace(neural=None), source) == []  # no neural re-scorer, no flags

    a = source.index("counterfeit")  # the restorer edits this one itself
    observed = "counterfeit consciousness"
    edit = Span(a, a + len(observed), observed, "artificial intelligence", 0.8)
    fast = SimpleNamespace(restore=lambda text: SimpleNamespace(spans=[edit]))
    found = {f.phrase: f for f in discover_phrases([("d", source)], restorer=fast, terms=neural)}
    assert set(found) == {"flag to commotion proportion", "counterfeit consciousness"}
    flagged, edited = found["flag to commotion proportion"], found["counterfeit consciousness"]
    assert flagged.likely_original == "signal to noise ratio"
    assert flagged.known_term_lead == TERM_FLAG_LEAD + 18
    assert flagged.restored == 0 and flagged.mean_confidence == 0.0 and flagged.occurrences == [("d", 2, 30)]
    assert edited.restored == 1 and edited.mean_confidence == 0.8 and edited.known_term_lead is None


def test_check_phrases_fast_lists_only_what_the_trigram_restorer_edits(tmp_path):
    """``check --phrases --fast`` skips the neural re-scorer, and so its known-term flags."""
    original = (EXAMPLES / "original.txt").read_text()
    for seed in range(2):
        spun = unspin.spin(original, rate=0.3, seed=seed, style="phrase").spun
        (tmp_path / f"d{seed}.txt").write_text(spun)
    out = unspin_cli("check", "--phrases", "--fast", "--format", "jsonl", str(tmp_path))
    assert out.returncode == 0, out.stderr
    found = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert found and all(f["restored"] == f["count"] and f["known_term_lead"] is None for f in found)


class _CountingRestorer:
    """Stands in for the neural restorer: ``edits`` spans of the given confidence (one character
    each, from offset ``at``), calls counted."""

    def __init__(self, edits: int, confidence: float, at: int = 0):
        self.edits, self.confidence, self.at, self.calls = edits, confidence, at, 0

    def restore(self, source):
        from types import SimpleNamespace

        self.calls += 1
        starts = range(self.at, self.at + self.edits)  # one character each
        return SimpleNamespace(
            spans=[SimpleNamespace(start=k, end=k + 1, confidence=self.confidence) for k in starts]
        )


def test_a_document_is_restored_once_however_many_of_its_units_are_uncertain():
    from unspin.check import CONFIRM_FROM, Detector

    paragraphs = (EXAMPLES / "original.txt").read_text().split("\n\n")
    assert len(paragraphs) > 1
    document = "\n\n".join(paragraphs)
    second = document.index(paragraphs[1])
    confirmer = _CountingRestorer(8, 0.95, at=second)  # confident edits, all in the second paragraph
    detector = Detector(confirmer=confirmer)
    detector.probability = lambda _tally: CONFIRM_FROM  # every unit uncertain
    result = detector.check(document)
    assert confirmer.calls == 1
    assert all(u.confirmed for u in result.paragraphs)
    by_start = {u.start: u.probability for u in result.paragraphs}
    assert by_start[second] > by_start[result.paragraphs[0].start]  # judged from its own spans


def test_only_uncertain_units_go_to_the_confirmer_and_its_edits_decide():
    from unspin.check import CONFIRM_FROM, Detector

    original = (EXAMPLES / "original.txt").read_text()
    for edits, confidence, spun in ((8, 0.95, True), (0, 0.0, False)):
        confirmer = _CountingRestorer(edits, confidence)
        detector = Detector(confirmer=confirmer)
        tally = detector.tallies(original)[0]
        for screen_p, asks in ((CONFIRM_FROM / 2, False), (CONFIRM_FROM, True), (detector.threshold, False)):
            detector.probability = lambda _tally, p=screen_p: p  # the screen's verdict, pinned
            calls = confirmer.calls
            p, confirmed = detector.judged(tally, lambda c=confirmer: c.restore(original).spans)
            assert confirmed == asks and confirmer.calls == calls + asks
            if asks:  # eight confident edits in ~100 words: spun; none: not spun
                assert (p >= detector.threshold) == spun
            else:
                assert p == screen_p


def test_the_neural_restorer_confirms_by_default_where_installed_unless_fast(monkeypatch):
    import importlib
    from types import SimpleNamespace

    check_module = importlib.import_module("unspin.check")  # (the package's `check` is the function)
    for neural, expect in ((object(), True), (None, False)):
        stand_in = SimpleNamespace(neural=neural)
        monkeypatch.setattr(check_module, "_DEFAULTS", {})
        monkeypatch.setattr(check_module, "default_restorer", lambda fast=False, r=stand_in: r)
        detector = lambda confirmer=None: SimpleNamespace(confirmer=confirmer)  # noqa: E731
        monkeypatch.setattr(check_module, "Detector", detector)
        assert (check_module.default_detector().confirmer is stand_in) is expect
        assert check_module.default_detector(fast=True).confirmer is None


def test_the_neural_restorers_gate_is_the_screen_under_its_threshold():
    from unspin import Restorer
    from unspin.check import Detector, honest_paragraphs
    from unspin.scoring import Params

    spun = (EXAMPLES / "spun.txt").read_text().split("\n\n")[0]
    clean = (EXAMPLES / "original.txt").read_text().split("\n\n")[0]
    screen = Detector()
    p_spun, p_clean = (screen.probability(screen.tallies(t)[0]) for t in (spun, clean))
    assert p_clean < p_spun

    def gate(below):
        return honest_paragraphs(Restorer(params=Params(neural_screen=below)))

    assert gate(None) is None
    between = gate((p_clean + p_spun) / 2)
    assert between(clean) and not between(spun)
    assert not gate(0.0)(clean)
    assert not gate(1.0)("Too short to judge.")  # no verdict: read, not skipped


def test_the_verdict_turns_at_the_threshold_the_result_reports():
    from unspin.render import check_text

    for name in ("spun.txt", "original.txt"):
        source = (EXAMPLES / name).read_text()
        r = unspin.check(source)
        assert 0.5 <= r.threshold < 1
        assert (r.verdict == SPUN) == (r.probability >= r.threshold)
        assert r.to_dict()["threshold"] == r.threshold
        assert f"spin probability: {r.probability:.2f} (spun from {r.threshold:.2f})" in check_text(source, r)
    too_short = unspin.check("Too short.")
    assert too_short.verdict == UNREADABLE and "spun from" not in check_text("Too short.", too_short)

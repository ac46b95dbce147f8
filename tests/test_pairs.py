import json
import random
import subprocess
import sys

import pytest

from unspin.bench.pairs import PairsError, gold_edits, read_pairs


def test_gold_edits_are_the_substitutions_in_the_spun_texts_offsets():
    spun = "The invoice handed."
    edits = gold_edits("The bill passed.", spun)
    assert [(spun[e["spun_start"] : e["spun_end"]], e["substitute"], e["original"]) for e in edits] == [
        ("invoice", "invoice", "bill"),
        ("handed", "handed", "passed"),
    ]
    assert gold_edits("Nothing changed here.", "Nothing changed here.") == []
    assert gold_edits("Only the case.", "only the Case.") == []


def test_a_repeated_word_is_matched_where_the_fewest_words_change():
    original = "At the moment the White House said no."
    spun = "Right now the Pale Home stated no."
    got = [(e["substitute"], e["original"]) for e in gold_edits(original, spun)]
    assert got == [("Right now", "At the moment"), ("Pale", "White"), ("Home", "House"), ("stated", "said")]


def test_added_words_join_a_neighbour_as_one_substitution():
    got = gold_edits("He read the time aloud.", "He read the clock time aloud.")
    assert [(e["substitute"], e["original"]) for e in got] == [("clock time", "time")]


@pytest.mark.parametrize("copies", [6, 80])  # (80: too long to align whole, and no word occurs once)
def test_one_word_swaps_are_recovered_exactly(copies):
    # Any spinner's one-for-one word swaps, wherever they fall (a word next to punctuation, a
    # repeated word, neighbours): every one must come back, and nothing else.
    words = ("The old town council met on Monday, and the council said the old bridge, "
             "which the town built in 1890, would close. ") * copies  # fmt: skip
    rng = random.Random(3)
    truth = set()
    pos = 0
    out = []
    for k, t in enumerate(words.split(" ")):
        if t.isalpha() and (k == 5 or rng.random() < 0.3):  # (the 6th word by two: the rest shift by one)
            new = f"zq{k}" if k != 5 else "zq yy"
            truth.add((pos, pos + len(new), t))
            t = new
        out.append(t)
        pos += len(t) + 1
    spun = " ".join(out)
    got = {(e["spun_start"], e["spun_end"], e["original"]) for e in gold_edits(words, spun)}
    assert truth and got == truth


def test_our_spinners_single_word_swaps_are_found(spinner):
    text = (
        "The committee approved the plan after a long debate. Critics said the decision was hasty, "
        "but supporters argued that the city needed new housing quickly."
    )
    g = spinner.spin(text, rate=0.4, seed=1, style="wordnet")
    singles = {(e.spun_start, e.spun_end, e.original) for e in g.edits
               if " " not in e.original and " " not in g.spun[e.spun_start : e.spun_end]}  # fmt: skip
    got = {(e["spun_start"], e["spun_end"], e["original"]) for e in gold_edits(text, g.spun)}
    assert singles and singles <= got


def test_read_pairs_explains_what_is_wrong(tmp_path):
    f = tmp_path / "p.jsonl"
    f.write_text(json.dumps({"original": "a b", "spun": "a c", "rate": 0.3}) + "\n\n")
    assert [(p.original, p.spun, p.id, p.rate) for p in read_pairs(f)] == [("a b", "a c", "1", 0.3)]
    for content, message in [
        (b"", "no pairs"),
        (b"\xff\xfe\x00junk", "not UTF-8"),
        (b"{not json}\n", "not JSON"),
        (b'{"original": "a"}\n', '"original" and "spun"'),
        (b'{"original": "a", "spun": "b", "rate": 3}\n', '"rate"'),
        (b'{"original": "a", "spun": "b", "edits": [{"spun_start": 0, "spun_end": 9, "original": "a"}]}',
         '"edits"'),
    ]:
        f.write_bytes(content)
        with pytest.raises(PairsError, match=message):
            read_pairs(f)
    with pytest.raises(PairsError, match="can't read"):
        read_pairs(tmp_path / "missing.jsonl")


def test_bench_scores_restoration_of_given_pairs(tmp_path):
    f = tmp_path / "spinner-x.jsonl"
    lines = [
        {"original": "We met last spring in the old town.", "spun": "We met last fountain in the old town.",
         "rate": 0.1},
        {"original": "The bill passed the senate.", "spun": "The bill passed the senate.", "rate": 0.1},
    ]  # fmt: skip
    f.write_text("".join(json.dumps(x) + "\n" for x in lines))
    bench = [sys.executable, "-m", "unspin.cli", "bench", "--pairs"]
    out = subprocess.run([*bench, str(f), "--json", str(tmp_path / "r.json")], capture_output=True)
    assert out.returncode == 0, out.stderr
    rows = json.loads((tmp_path / "r.json").read_text())["rows"]
    assert [(r["suite"], r["spinner"], r["rate"], r["docs"], r["gold"]) for r in rows] == [
        ("pairs", "spinner-x.jsonl", 0.1, 2, 1)
    ]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("nonsense\n")
    out = subprocess.run([*bench, str(bad)], capture_output=True)
    assert out.returncode == 2 and b"not JSON" in out.stderr


def test_pairs_that_record_their_gold_edits_are_scored_on_them(tmp_path, spinner):
    # `unspin spin --format jsonl` writes the original, the spun text and the gold edits: the
    # bench takes those as they are (an alignment can't tell "clock time" ← "time" from its reverse).
    g = spinner.spin("He read the time aloud, then the bill passed.", rate=0.9, seed=2, style="phrase")
    f = tmp_path / "spun.jsonl"
    f.write_text(json.dumps(g.to_dict()) + "\n" + json.dumps({"original": "a b", "spun": "a b", "edits": []}))
    recorded, clean = read_pairs(f)
    recorded_gold = [(e.spun_start, e.spun_end, e.original, e.substitute) for e in g.edits]
    assert recorded_gold and [tuple(e.values()) for e in recorded.gold()] == recorded_gold
    assert clean.gold() == []


def test_bench_detects_on_given_pairs_paragraph_by_paragraph(tmp_path, spinner):
    paragraph = (
        "The city council voted on Tuesday to expand the bus network, after a long debate about the cost "
        "of new routes and the needs of people who live far from the centre. The plan adds four lines that "
        "will connect the northern suburbs with the main railway station, and the first buses are expected "
        "to run next spring. Supporters said the change would help thousands of workers who now spend more "
        "than an hour getting to their jobs, while critics asked who would pay for it."
    )
    original = paragraph + "\n\nA short line.\n\n" + paragraph.replace("Tuesday", "Friday")
    spun = spinner.spin(original, rate=0.5, seed=4, style="anysense").spun
    f = tmp_path / "x.jsonl"
    f.write_text(json.dumps({"original": original, "spun": spun, "rate": 0.5}) + "\n")
    bench = [sys.executable, "-m", "unspin.cli", "bench", "--pairs", str(f)]
    detect = [*bench, "--suites", "detection", "--json", str(tmp_path / "r.json")]
    out = subprocess.run(detect, capture_output=True)
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["rows"] == []
    [row] = report["detection"]
    # two paragraphs of 80+ words on each side (the short one is left out), spun ones the positives
    assert (row["spinner"], row["rate"], row["paragraphs"]) == ("x.jsonl", 0.5, 4)
    out = subprocess.run([*bench, "--suites", "clean"], capture_output=True)
    assert out.returncode == 2 and b"restore and detection" in out.stderr

"""``unspin bench``: restoration and speed, measured on clean prose from installed packages.

Suites (each reported separately):

* ``clean``  — false edits on the untouched test documents, per genre;
* ``own``    — restoration of our own spinner's output, per style (in-distribution:
  spinner and restorer share thesauri);
* ``nlpaug`` — restoration of nlpaug ``SynonymAug`` (WordNet) output: a spinner we did
  not write, the headline number;
* ``speed``  — words/s on one core and two processes, start-up time, peak memory;
* ``--pairs FILE`` — any other spinner's output, from (original, spun) pairs, instead: restoration
  (``pairs.py`` recovers the gold edits by aligning them) and, with ``--suites detection``,
  detection (the originals' paragraphs the negatives, the spun ones the positives).

The restorer never sees the gold edits; thresholds are never tuned on the
``test`` split reported here (``bench/tune.py`` uses ``dev``).
"""

from __future__ import annotations

import json
import multiprocessing
import re
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .. import text
from ..resources import ResourceError
from ..restore import Restorer, make_restorer, neural_restorer
from ..spin import STYLES, Spinner
from . import corpora
from .metrics import Counts, probability_bin, reliability, score
from .pairs import Pair, PairsError, read_pairs

DEFAULT_SUITES = "clean,own,nlpaug,detection,speed"


class BenchError(RuntimeError):
    pass


@dataclass
class Row:
    suite: str
    spinner: str
    style: str
    rate: float | None
    docs: int
    counts: Counts
    unit: str = "document"  # each document restored whole, or each paragraph or sentence alone

    def as_dict(self) -> dict:
        return {
            "suite": self.suite, "spinner": self.spinner, "style": self.style, "rate": self.rate,
            "unit": self.unit, "docs": self.docs, "words": self.counts.words, "gold": self.counts.gold,
            "edits": self.counts.edits, **self.counts.summary(), "reliability": self.counts.reliability(),
        }  # fmt: skip


def select_documents(split: str, words: int) -> list[corpora.Document]:
    """Documents of ``split`` in a fixed order, balanced over genres, up to ``words`` words in all."""
    docs = corpora.documents(split)
    by_genre: dict[str, list[corpora.Document]] = {}
    for d in docs:
        by_genre.setdefault(d.genre, []).append(d)
    if len(by_genre) < 2:
        raise BenchError(f"need at least two genres of clean text, found {sorted(by_genre)}")
    per_genre = words // len(by_genre)
    chosen = []
    for genre, items in sorted(by_genre.items()):
        total = 0
        for d in items:
            if total >= per_genre:
                break
            chosen.append(d)
            total += d.words
        if total < per_genre:
            raise BenchError(f"asked for {per_genre} words of {genre!r} in {split!r}, corpus has {total}")
    return chosen


UNITS = ("document", "paragraph", "sentence")
# A sentence ends at . ! or ? (and any closing quotes or brackets) before white space and a capital,
# a digit or an opening quote. Good enough to cut a bench's text.
_SENTENCE_END = re.compile(r"(?<=[.!?])(?P<close>[\"')\]’”]*)\s+(?=[A-Z0-9\"'‘“(])")


def unit_ranges(source: str, unit: str) -> list[tuple[int, int]]:
    """(start, end) of each ``unit`` of ``source`` (``UNITS``) that has any non-space character:
    paragraphs are the engine's own (``text.paragraphs``), less their surrounding white space;
    sentences are cut within them.

    >>> unit_ranges("One. Two words.\\n\\nThree.", "sentence")
    [(0, 4), (5, 15), (17, 23)]
    """
    if unit not in UNITS:
        raise BenchError(f"no such unit: {unit!r} (units: {', '.join(UNITS)})")
    if unit == "document":
        return [(0, len(source))] if source.strip() else []
    cuts = []
    for offset, para in text.paragraphs(source):
        start, end = offset + len(para) - len(para.lstrip()), offset + len(para.rstrip())
        if unit == "sentence":
            for m in _SENTENCE_END.finditer(source, start, end):
                cuts.append((start, m.start() + len(m["close"])))  # (closing quotes stay with their sentence)
                start = m.end()
        cuts.append((start, end))
    return [(a, b) for a, b in cuts if source[a:b].strip()]


def in_units(items, unit: str) -> list[tuple[str, list[dict]]]:
    """(spun text, gold edits) pairs cut into ``unit``s (``unit_ranges``), each with its own gold
    edits in its own offsets: each is then restored as a text of its own, as a user who pastes a
    sentence or a paragraph does. (A gold edit belongs to the unit it starts in; a spinner's
    substitutions never span two sentences.)"""
    if unit == "document":
        return list(items)
    out = []
    for spun, gold in items:
        for a, b in unit_ranges(spun, unit):
            mine = [dict(g, spun_start=g["spun_start"] - a, spun_end=g["spun_end"] - a)
                    for g in gold if a <= g["spun_start"] < b]  # fmt: skip
            out.append((spun[a:b], mine))
    return out


def restore_and_score(restorer: Restorer, items, candidates, unit: str = "document") -> Counts:
    """items: (spun text, gold edits) pairs, each restored whole or cut into ``unit``s (``in_units``)."""
    total = Counts()
    for spun, gold in in_units(items, unit):
        t = time.perf_counter()
        result = restorer.restore(spun)
        elapsed = time.perf_counter() - t
        c = score(spun, gold, result.spans, candidates)
        c.seconds = elapsed
        total.add(c)
    return total


def _nlpaug(rate: float, seed: int):
    try:
        from ..resources import cache_dir
        from .nlpaug_spinner import NlpaugSpinner, prepare_wordnet_for_nltk
    except ImportError as e:  # pragma: no cover - depends on the extra
        raise BenchError(f"nlpaug suite needs the bench extra: pip install -e '.[bench]' ({e})") from None
    root = prepare_wordnet_for_nltk(cache_dir() / "nltk_data")
    try:
        return NlpaugSpinner(rate=rate, seed=seed, data_root=root)
    except (ImportError, OSError) as e:
        raise BenchError(f"nlpaug suite needs the bench extra: pip install -e '.[bench]' ({e})") from None


def spun_items(spinner: str, rate: float, docs: list[corpora.Document]) -> list[tuple[str, list[dict]]]:
    """(spun text, gold edits) per document, as every restoration suite seeds them: ``spinner`` is
    "nlpaug" or one of our own styles (``spin.STYLES``)."""
    if spinner == "nlpaug":
        nlpaug = _nlpaug(rate, seed=0)
        return [nlpaug.spin(d.text) for d in docs]
    own = Spinner()
    items = []
    for k, d in enumerate(docs):
        g = own.spin(d.text, rate=rate, seed=k, style=spinner)
        items.append((g.spun, g.to_dict()["edits"]))
    return items


def _neural_restorer() -> Restorer:
    try:
        return neural_restorer()
    except ResourceError as e:
        raise BenchError(f"--neural: {e}") from None


def run(
    suites: list[str], rates: list[float], words: int, split: str = "test", styles=STYLES, log=print,
    neural: bool = False, pair_sets: list[tuple[str, list[Pair]]] = (), unit: str = "document",
) -> list[Row]:
    """The restoration rows of ``suites`` (clean, own, nlpaug) and of each (name, pairs) of ``pair_sets``,
    each text restored whole or cut into ``unit``s (``UNITS``: paragraphs or sentences, each restored
    as a text of its own)."""
    unit_ranges("", unit)  # (an unknown unit fails before any model loads)
    unknown = [s for s in styles if s not in STYLES]
    if unknown:  # (before loading any model)
        raise BenchError(f"no such spinner style: {', '.join(unknown)} (styles: {', '.join(STYLES)})")
    docs = select_documents(split, words) if {"clean", "own", "nlpaug"} & set(suites) else []
    restorer = _neural_restorer() if neural else make_restorer(fast=True)
    candidates = restorer.candidates.listed  # what the engine considers, tail included
    rows: list[Row] = []
    if "clean" in suites:
        for genre in sorted({d.genre for d in docs}):
            mine = [d for d in docs if d.genre == genre]
            c = restore_and_score(restorer, [(d.text, []) for d in mine], None, unit)
            rows.append(Row("clean", "none", genre, None, len(mine), c, unit))
            log(f"clean {genre}: {c.summary()}")
    if "own" in suites:
        for style in styles:
            for rate in rates:
                c = restore_and_score(restorer, spun_items(style, rate, docs), candidates, unit)
                rows.append(Row("own (in-distribution)", "unspin", style, rate, len(docs), c, unit))
                log(f"own {style} {rate}: {c.summary()}")
    if "nlpaug" in suites:
        for rate in rates:
            c = restore_and_score(restorer, spun_items("nlpaug", rate, docs), candidates, unit)
            rows.append(Row("nlpaug (independent)", "nlpaug SynonymAug", "wordnet", rate, len(docs), c, unit))
            log(f"nlpaug {rate}: {c.summary()}")
    for name, items in pair_sets:
        for rate in _rates_of(items):
            mine = [p for p in items if p.rate == rate]
            c = restore_and_score(restorer, [(p.spun, p.gold()) for p in mine], candidates, unit)
            rows.append(Row("pairs", name, "–", rate, len(mine), c, unit))
            log(f"pairs {name} {rate}: {c.summary()}")
    return rows


MIN_PARAGRAPH_WORDS = 80


def detection_paragraphs(docs) -> list[str]:
    """Paragraphs of at least MIN_PARAGRAPH_WORDS words: the unit the detection targets are set on."""
    return [p for d in docs for p in d.text.split("\n\n") if len(p.split()) >= MIN_PARAGRAPH_WORDS]


def roc_auc(negatives: list[float], positives: list[float]) -> float:
    """P(a random spun paragraph scores above a random clean one), ties counting half."""
    scored = sorted([(p, 0) for p in negatives] + [(p, 1) for p in positives])
    rank_sum, i = 0.0, 0
    while i < len(scored):  # average ranks over ties
        j = i
        while j < len(scored) and scored[j][0] == scored[i][0]:
            j += 1
        rank_sum += sum(lab for _, lab in scored[i:j]) * (i + j + 1) / 2
        i = j
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


@dataclass
class DetectionRow:
    spinner: str
    rate: float | None
    clean: list[float]
    spun: list[float]
    threshold: float  # the detector's verdict threshold

    def as_dict(self) -> dict:
        tp = sum(p >= self.threshold for p in self.spun)
        fp = sum(p >= self.threshold for p in self.clean)
        precision = tp / (tp + fp) if tp + fp else float("nan")
        recall = tp / len(self.spun)
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        bins = [[0, 0] for _ in range(5)]  # reliability: predicted-probability bins → share spun
        for p, label in [(p, 0) for p in self.clean] + [(p, 1) for p in self.spun]:
            b = bins[probability_bin(p, 5)]
            b[0] += 1
            b[1] += label
        return {
            "spinner": self.spinner, "rate": self.rate, "paragraphs": len(self.spun) + len(self.clean),
            "precision": precision, "recall": recall, "f1": f1, "roc_auc": roc_auc(self.clean, self.spun),
            "false_positive_rate": fp / len(self.clean), "reliability": reliability(bins),
        }  # fmt: skip


def run_detection(
    rates: list[float], words: int, split: str, log=print, neural: bool = False, styles=("mixed",)
) -> list[DetectionRow]:
    """Detection on clean paragraphs of 80+ words (the negatives) and the same paragraphs spun
    (the positives) at each rate: by each of our ``styles`` and by nlpaug."""
    from ..check import Detector

    confirmer = _neural_restorer() if neural else None
    detector = Detector(confirmer=confirmer)
    suffix = ", neural confirmer" if confirmer else ""
    paragraphs = detection_paragraphs(select_documents(split, words))
    if not paragraphs:
        raise BenchError("no paragraphs of at least 80 words in the selected documents")
    clean = [detector.check(p).probability for p in paragraphs]
    clean = [p for p in clean if p is not None]
    rows = []
    spinner = Spinner()
    for rate in rates:
        for style in styles:
            own = [
                detector.check(spinner.spin(p, rate=rate, seed=k, style=style).spun).probability
                for k, p in enumerate(paragraphs)
            ]
            rows.append(
                DetectionRow(
                    f"unspin {style} (in-distribution)" + suffix,
                    rate,
                    clean,
                    [p for p in own if p is not None],
                    detector.threshold,
                )
            )
        nl = _nlpaug(rate, seed=0)
        spun = [detector.check(nl.spin(p)[0]).probability for p in paragraphs]
        rows.append(
            DetectionRow(
                "nlpaug SynonymAug (independent)" + suffix,
                rate,
                clean,
                [p for p in spun if p is not None],
                detector.threshold,
            )
        )
        log(f"detection {rate}: {rows[-1].as_dict()}")
    return rows


def pair_paragraphs(pair: Pair) -> list[tuple[str, str]]:
    """(original, spun) paragraphs of at least MIN_PARAGRAPH_WORDS words, where the spinner kept the
    paragraph breaks (the same number on both sides); else the whole texts as one unit."""
    ours, theirs = pair.original.split("\n\n"), pair.spun.split("\n\n")
    units = list(zip(ours, theirs)) if len(ours) == len(theirs) else [(pair.original, pair.spun)]
    return [(o, t) for o, t in units if len(o.split()) >= MIN_PARAGRAPH_WORDS]


def run_pair_detection(
    pair_sets: list[tuple[str, list[Pair]]], log=print, neural: bool = False
) -> list[DetectionRow]:
    """Detection on each (name, pairs) of ``pair_sets``, a row per spin rate: the originals'
    paragraphs are the negatives, the spun ones the positives (``pair_paragraphs``)."""
    from ..check import Detector

    detector = Detector(confirmer=_neural_restorer() if neural else None)
    suffix = ", neural confirmer" if neural else ""
    checked: dict[str, float | None] = {}  # (the same originals come back at every rate)

    def probabilities(paragraphs: list[str]) -> list[float]:
        for p in paragraphs:
            if p not in checked:
                checked[p] = detector.check(p).probability
        return [checked[p] for p in paragraphs if checked[p] is not None]

    rows = []
    for name, items in pair_sets:
        for rate in _rates_of(items):
            units = [u for p in items if p.rate == rate for u in pair_paragraphs(p)]
            if not units:
                raise BenchError(f"{name}: no paragraphs of {MIN_PARAGRAPH_WORDS}+ words to detect on")
            clean, spun = probabilities([o for o, _ in units]), probabilities([t for _, t in units])
            rows.append(DetectionRow(name + suffix, rate, clean, spun, detector.threshold))
            log(f"detection {name} {rate}: {rows[-1].as_dict()}")
    return rows


def _rates_of(pairs) -> list[float | None]:
    """The spin rates the pairs give, in order (None, for pairs that give none, first)."""
    return sorted({p.rate for p in pairs}, key=lambda r: -1.0 if r is None else r)


def detection_markdown(rows: list[DetectionRow]) -> str:
    lines = [
        "| detection (paragraphs ≥ 80 words) | rate | paragraphs | precision | recall | F1 | ROC-AUC | "
        "false-positive rate (clean) | reliability (bin: n, share spun) |",
        "|" + "---|" * 9,
    ]
    for r in rows:
        d = r.as_dict()
        rel = "; ".join(f"{b}: {n}, {'–' if s is None else f'{s:.2f}'}" for b, n, s in d["reliability"])
        lines.append(
            f"| {d['spinner']} | {_pct(d['rate'], 0)} | {d['paragraphs']} | {_pct(d['precision'])} | "
            f"{_pct(d['recall'])} | {d['f1']:.3f} | {d['roc_auc']:.3f} | {_pct(d['false_positive_rate'])} | "
            f"{rel} |"
        )
    return "\n".join(lines)


def _timed(task: str, batches: list[list[str]]) -> list[float]:
    """In a fresh process: words/s (CPU time) of ``task`` ("restore" or "check") over each
    batch in turn, the first from cold caches, each later one warmed by those before."""
    from ..check import Detector

    run_one = Restorer().restore if task == "restore" else Detector().check
    rates = []
    for texts in batches:
        n = sum(len(text.WORD_RE.findall(t)) for t in texts)
        t0 = time.process_time()
        for t in texts:
            run_one(t)
        rates.append(n / (time.process_time() - t0) if n else 0.0)
    return rates


def _timed_spin(texts: list[str]) -> int:
    spinner = Spinner()
    for k, t in enumerate(texts):
        spinner.spin(t, seed=k)
    return sum(len(text.WORD_RE.findall(t)) for t in texts)


def _peak_mb(_: object = None) -> float:
    """This process's own peak resident memory. Not ``getrusage``: Linux carries the high-water mark
    across ``exec``, so a spawned worker would report the size of the parent it was forked from."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):  # not Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def speed(words: int, split: str = "test", repeats: int = 3) -> dict:
    """Words/s in fresh processes (CPU time), cold and after a warm-up of as many words.

    Restore's one-core figures are the median of ``repeats`` fresh processes, each with its
    range: one pass times a second or so of CPU, and on a shared VM one such pass may be off by
    ±5 % or more (BENCHMARKS.md 6 Dec), more than the differences worth measuring."""
    docs = select_documents(split, 2 * words)
    spinner = Spinner()
    texts = [spinner.spin(d.text, rate=0.3, seed=k, style="mixed").spun for k, d in enumerate(docs)]
    warm_up, timed = texts[0::2], texts[1::2]
    clean_warm_up, clean_timed = [d.text for d in docs[0::2]], [d.text for d in docs[1::2]]
    out = subprocess.run(
        [sys.executable, "-c", "import time; t=time.perf_counter(); import unspin; r = unspin.Restorer(); "
         "print(time.perf_counter()-t, r.lm.backend)"], capture_output=True, text=True, check=True,
    )  # fmt: skip
    startup_s, look_up = out.stdout.split()  # (the look-up a fresh process gets, as the workers do)
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no caches carried over
    peaks = []  # each worker's, asked after its work
    spun_runs, clean_runs = [], []
    for _ in range(repeats):
        with ctx.Pool(1) as pool:
            spun_runs.append(pool.apply(_timed, ("restore", [warm_up, timed])))
            peaks.append(pool.apply(_peak_mb))
        with ctx.Pool(1) as pool:  # clean text alike, in its own process (other documents warm it up)
            clean_runs.append(pool.apply(_timed, ("restore", [clean_warm_up, clean_timed]))[1])
    cold_runs, warm_runs = [r[0] for r in spun_runs], [r[1] for r in spun_runs]
    with ctx.Pool(1) as pool:
        batches = [clean_warm_up + warm_up, clean_timed, timed]
        _, check_clean, check_spun = pool.apply(_timed, ("check", batches))
        peaks.append(pool.apply(_peak_mb))
    with ctx.Pool(2) as pool:
        t0 = time.perf_counter()
        halves = [[warm_up[k::2] + timed[k::2]] for k in (0, 1)]
        pool.starmap(_timed, [("restore", h) for h in halves])
        two_procs = sum(len(text.WORD_RE.findall(t)) for t in texts) / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        spin_two = sum(pool.map(_timed_spin, [texts[0::2], texts[1::2]])) / (time.perf_counter() - t0)
        peaks += pool.map(_peak_mb, range(2), chunksize=1)
    n = sum(len(text.WORD_RE.findall(t)) for t in timed)
    t0 = time.process_time()
    for k, t in enumerate(timed):
        spinner.spin(t, seed=k)
    spin_rate = n / (time.process_time() - t0)
    return {
        "words": n, "startup_s": float(startup_s), "trigram_look_up": look_up,
        "restore_words_per_s_1core_cold": statistics.median(cold_runs),
        "restore_words_per_s_1core_warm": statistics.median(warm_runs),
        "restore_words_per_s_1core_clean": statistics.median(clean_runs),
        "restore_runs_1core": {"cold": cold_runs, "warm": warm_runs, "clean": clean_runs},
        "restore_words_per_s_2procs": two_procs,
        "check_words_per_s_1core_clean": check_clean, "check_words_per_s_1core_spun": check_spun,
        "spin_words_per_s_1core": spin_rate, "spin_words_per_s_2procs": spin_two,
        "peak_rss_mb_children": max(peaks),
    }  # fmt: skip


def _median_and_range(speed_result: dict, which: str) -> str:
    runs = speed_result["restore_runs_1core"][which]
    spread = f" ({min(runs):,.0f}–{max(runs):,.0f})" if len(runs) > 1 else ""
    return f"{statistics.median(runs):,.0f} words/s{spread}"


def _pct(x: float | None, digits: int = 1) -> str:
    return "–" if x is None or x != x else f"{x:.{digits}%}"  # None or NaN (nothing to count) → dash


def markdown(rows: list[Row], speed_result: dict | None) -> str:
    head = (
        "| suite | spinner | style | rate | docs | words | gold subs | coverage | exact | detected | "
        "precision | false-edit rate | words/s |"
    )
    lines = [head, "|" + "---|" * 13]
    units = sorted({r.unit for r in rows} - {"document"})
    if units:  # (docs still counts documents; each of their units was restored as a text of its own)
        lines.insert(0, f"Each {' and '.join(units)} restored as a text of its own.\n")
    for r in rows:
        d = r.as_dict()
        rate = "–" if r.rate is None else f"{r.rate:.0%}"
        lines.append(
            f"| {r.suite} | {r.spinner} | {r.style} | {rate} | {r.docs} | {d['words']:,} | {d['gold']:,} | "
            f"{_pct(d['coverage'])} | {_pct(d['exact'])} | {_pct(d['detected'])} | {_pct(d['precision'])} | "
            f"{d['false_edit_rate']:.2%} | {d['words_per_s']:,.0f} |"
        )
    calibrated = [r for r in rows if r.counts.edits]
    if calibrated:
        lines += ["", "| edits' confidence | rate | reliability (bin: edits, share exactly right) |"]
        lines.append("|---|---|---|")
        for r in calibrated:
            rate = "–" if r.rate is None else f"{r.rate:.0%}"
            rel = "; ".join(f"{b}: {n}, {share:.2f}" for b, n, share in r.counts.reliability())
            lines.append(f"| {r.suite}, {r.style} | {rate} | {rel} |")
    if speed_result:
        s = speed_result
        repeats = len(s["restore_runs_1core"]["warm"])
        runs = f", median of {repeats} processes" if repeats > 1 else ""
        lines += [
            "",
            "| speed | value |",
            "|---|---|",
            f"| restore, one core, cold caches{runs} | {_median_and_range(s, 'cold')} |",
            f"| restore, one core, after {s['words']:,} words: text spun at 30 %{runs} | "
            f"{_median_and_range(s, 'warm')} |",
            f"| restore, one core, clean text (after as much other clean text){runs} | "
            f"{_median_and_range(s, 'clean')} |",
            f"| restore, two processes (wall clock, with start-up) | "
            f"{s['restore_words_per_s_2procs']:,.0f} words/s |",
            f"| check, one core, after {2 * s['words']:,} words: clean text | "
            f"{s['check_words_per_s_1core_clean']:,.0f} words/s |",
            f"| check, one core, after {2 * s['words']:,} words: text spun at 30 % (decoded for spans) | "
            f"{s['check_words_per_s_1core_spun']:,.0f} words/s |",
            f"| spin, one core (tables loaded) | {s['spin_words_per_s_1core']:,.0f} words/s |",
            f"| spin, two processes (wall clock, with loading the tables) | "
            f"{s['spin_words_per_s_2procs']:,.0f} words/s |",
            f"| start-up (import + load models) | {s['startup_s']:.2f} s |",
            f"| trigram look-up | {s['trigram_look_up']} |",
            f"| peak memory of a worker process (restore or spin) | {s['peak_rss_mb_children']:,.0f} MB |",
        ]
    return "\n".join(lines)


def main(args) -> int:
    suites = (args.suites or ("restore" if args.pairs else DEFAULT_SUITES)).split(",")
    if args.pairs and not set(suites) <= {"restore", "detection"}:  # (the suites then read the pairs)
        print("unspin bench: with --pairs, the suites are restore and detection", file=sys.stderr)
        return 2
    rates = [float(r) for r in args.rates.split(",")]
    words = args.words or (6_000 if args.quick else 60_000)
    styles = ("mixed",) if args.quick else STYLES
    if args.styles:
        styles = tuple(args.styles.split(","))
    if args.quick:
        rates = [0.3]
    log = lambda *a: print(*a, file=sys.stderr)  # noqa: E731
    rows, detection, speed_result = [], [], None
    try:
        if args.pairs:
            pair_sets = [(Path(path).name, read_pairs(path)) for path in args.pairs]
            if "restore" in suites:
                rows = run([], rates, words, pair_sets=pair_sets, log=log, neural=args.neural, unit=args.unit)
            if "detection" in suites:
                detection = run_pair_detection(pair_sets, log, neural=args.neural)
        else:
            restoration = [s for s in suites if s not in ("speed", "detection")]
            rows = run(
                restoration, rates, words, args.split, styles, log=log, neural=args.neural, unit=args.unit
            )
            if "detection" in suites:
                det_rates = [r for r in rates if r <= 0.3] or rates
                # (our mixed style unless --styles names others: each costs a pass of every paragraph)
                det_styles = styles if args.styles else ("mixed",)
                detection = run_detection(
                    det_rates, words, args.split, log=log, neural=args.neural, styles=det_styles
                )
            if "speed" in suites:
                speed_result = speed(min(words // 2, 20_000), args.split, repeats=1 if args.quick else 3)
    except (BenchError, corpora.CorpusError, PairsError) as e:
        print(f"unspin bench: {e}", file=sys.stderr)
        return 2
    if rows or speed_result:
        print(markdown(rows, speed_result))
    if detection:
        print("\n" + detection_markdown(detection))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {"rows": [r.as_dict() for r in rows], "detection": [r.as_dict() for r in detection],
                 "speed": speed_result}, f, indent=2,
            )  # fmt: skip
    return 0

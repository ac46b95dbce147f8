"""Any spinner's output as a benchmark: gold edits from (original, spun) pairs.

The ``own`` and ``nlpaug`` suites know their gold edits because they drive the spinner. Output
from any other spinner (a commercial one, TextAttack, a paper mill's) usually comes as the text
before and after. ``gold_edits`` recovers the substitutions by aligning the two word by word, so
``unspin bench --pairs FILE`` can score restoration on it like any other suite.

The file is JSON Lines, one pair per line::

    {"original": "The bill passed.", "spun": "The invoice handed.", "id": "doc-1"}

gives two gold edits in the spun text's offsets, ``invoice`` (4–11) ← ``bill`` and ``handed``
(12–18) ← ``passed``. ``id`` is optional, and so is ``rate`` (the spin rate the pair was made
at: the bench reports each rate on its own row). A line that records its gold edits, as
``unspin spin --format jsonl`` writes them (``"edits"``: ``spun_start``, ``spun_end`` and
``original`` each), is scored on those instead of an alignment.

Alignment: both texts are cut into word and punctuation tokens and matched case-insensitively
(``_changed_stretches``: the edit distance, between words that occur once on each side). A
stretch that differs on both sides is a substitution; one of equal length on both sides is taken
word for word (a spinner that swaps a term word by word, or two neighbouring one-word swaps), and
the bench's gold runs still credit one edit that restores the stretch whole. Words only added or
only dropped join the word after them (or the token before, at the end or before punctuation):
a spinner that puts a WordNet compound for a word mostly keeps the word as its head, so "the
time" → "the clock time" is the one substitution "clock time" ← "time". Where it kept the first
word instead ("more" → "more than"), the gold edit comes out one word off; measured against our
own spinners' gold, see BENCHMARKS.md.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from pathlib import Path

# Words and single punctuation marks: "people's" is three tokens, as most spinners' tokenizers cut
# it (nlpaug swaps the "s"), and an aligned swap of one of them stays one token wide.
_TOKEN = re.compile(r"\w+|[^\w\s]")
MAX_PAIR_CHARS = 5_000_000  # a line longer than this is not a document pair
MAX_GAP_CELLS = 250_000  # the largest piece the edit distance aligns at once (its table's cells)
BAND = 50  # ...and beyond that, with nothing to cut it at, how far off the diagonal (see there)


class PairsError(ValueError):
    pass


@dataclass(frozen=True)
class Pair:
    original: str
    spun: str
    id: str
    rate: float | None = None
    edits: tuple[dict, ...] | None = None  # recorded gold edits, where the line gives them

    def gold(self) -> list[dict]:
        """The gold edits: the recorded ones, or else the alignment's (``gold_edits``)."""
        if self.edits is None:
            return gold_edits(self.original, self.spun)
        return [_edit(self.spun, e["spun_start"], e["spun_end"], e["original"]) for e in self.edits]


def _tokens(s: str) -> list[tuple[int, int]]:
    return [m.span() for m in _TOKEN.finditer(s)]


Stretch = tuple[int, int, int, int]  # (i, j, k, l): tokens a[i:j] became b[k:l]


def _changed_stretches(
    a: list[str], b: list[str], i0: int = 0, i1: int | None = None, j0: int = 0, j1: int | None = None
) -> list[Stretch]:
    """The stretches where a[i0:i1] and b[j0:j1] differ.

    The fewest token substitutions, additions and drops (edit distance) decide which words
    match: longest common blocks alone pair any repeated word, so in "At the moment the White
    House said" → "Right now the Pale Home stated" they pair the spun "the" with the first "the"
    and "Right now" ← "At" follows. The edit distance costs the product of the lengths, so a
    long text is first cut at its common beginning and end and at the words that occur once on
    each side, in the same order on both (as patience diff does; a repeated sentence can't
    mislead those), and each piece between is aligned the same way. A long piece without such a
    word is aligned along its diagonal."""
    i1, j1 = len(a) if i1 is None else i1, len(b) if j1 is None else j1
    while i0 < i1 and j0 < j1 and a[i0] == b[j0]:
        i0, j0 = i0 + 1, j0 + 1
    while i1 > i0 and j1 > j0 and a[i1 - 1] == b[j1 - 1]:
        i1, j1 = i1 - 1, j1 - 1
    if (i1 - i0) * (j1 - j0) <= MAX_GAP_CELLS:
        return _edit_distance_stretches(a, b, i0, i1, j0, j1)
    anchors = _unique_anchors(a, b, i0, i1, j0, j1)
    if not anchors:  # nothing to cut at (a text of repeated sentences): a band along the diagonal
        return _edit_distance_stretches(a, b, i0, i1, j0, j1, band=BAND)
    out = []
    for x, y in [*anchors, (i1, j1)]:
        out += _changed_stretches(a, b, i0, x, j0, y)
        i0, j0 = x + 1, y + 1
    return out


def _unique_anchors(a, b, i0: int, i1: int, j0: int, j1: int) -> list[tuple[int, int]]:
    """(x, y) with a[x] == b[y] a token that occurs once in a[i0:i1] and once in b[j0:j1], the
    longest chain of them in the same order on both sides."""
    once_a = _once(a, i0, i1)
    pairs = sorted((once_a[t], y) for t, y in _once(b, j0, j1).items() if t in once_a)
    # the longest increasing run of their b positions (patience sorting): for each length, the
    # pair ending the chain of that length with the smallest b position, and each pair's predecessor
    tails: list[int] = []
    tail_ys: list[int] = []
    back = [-1] * len(pairs)
    for k, (_, y) in enumerate(pairs):
        n = bisect.bisect_left(tail_ys, y)
        back[k] = tails[n - 1] if n else -1
        tails[n : n + 1], tail_ys[n : n + 1] = [k], [y]
    chain, k = [], tails[-1] if tails else -1
    while k >= 0:
        chain.append(pairs[k])
        k = back[k]
    return chain[::-1]


def _once(tokens: list[str], lo: int, hi: int) -> dict[str, int]:
    """The tokens of tokens[lo:hi] that occur there once, with their positions."""
    seen: dict[str, int] = {}
    for x in range(lo, hi):
        t = tokens[x]
        seen[t] = -1 if t in seen else x
    return {t: x for t, x in seen.items() if x >= 0}


def _edit_distance_stretches(
    a, b, i0: int, i1: int, j0: int, j1: int, band: int | None = None
) -> list[Stretch]:
    """The changed stretches of a[i0:i1] against b[j0:j1] on a cheapest edit-distance path
    (a substitution preferred to an addition and a drop at equal cost). With ``band``, only paths
    within that many tokens of the straight line from start to end count: a spinner keeps the
    text's order, and a long piece with nothing to cut it at (``_changed_stretches``) costs its
    length times the band instead of its length squared."""
    n, m = i1 - i0, j1 - j0
    if n == 0 or m == 0:
        return [(i0, i1, j0, j1)] if n or m else []
    if band is None:
        lo, hi = [0] * (n + 1), [m] * (n + 1)
    else:  # (wide enough that each row's cells reach the row before's)
        band = max(band, 2 + m // n)
        lo = [max(0, x * m // n - band) for x in range(n + 1)]
        hi = [min(m, x * m // n + band) for x in range(n + 1)]
    inf = n + m + 1
    cost = [list(range(lo[0], hi[0] + 1))]  # row x holds columns lo[x]..hi[x]

    def at(x: int, y: int) -> int:
        return cost[x][y - lo[x]] if lo[x] <= y <= hi[x] else inf

    for x in range(1, n + 1):
        ax, row = a[i0 + x - 1], []
        for y in range(lo[x], hi[x] + 1):
            best = at(x - 1, y) + 1
            if y:
                best = min(best, at(x - 1, y - 1) + (ax != b[j0 + y - 1]), (row[-1] if row else inf) + 1)
            row.append(best)
        cost.append(row)
    matched = []  # (x, y) of the equal tokens on the path, from the end
    x, y = n, m
    while x and y:
        same = a[i0 + x - 1] == b[j0 + y - 1]
        here = at(x, y)
        if here == at(x - 1, y - 1) + (not same):
            if same:
                matched.append((x - 1, y - 1))
            x, y = x - 1, y - 1
        elif here == at(x - 1, y) + 1:
            x -= 1
        else:
            y -= 1
    out, px, py = [], 0, 0
    for x, y in [*reversed(matched), (n, m)]:
        if x > px or y > py:
            out.append((i0 + px, i0 + x, j0 + py, j0 + y))
        px, py = x + 1, y + 1
    return out


def gold_edits(original: str, spun: str) -> list[dict]:
    """The substitutions that turn ``original`` into ``spun``, as the bench's gold edits:
    ``spun_start``/``spun_end`` (offsets in ``spun``), ``substitute`` (that text) and
    ``original`` (the words it replaced)."""
    a, b = _tokens(original), _tokens(spun)
    changed = _changed_stretches([original[s:e].lower() for s, e in a], [spun[s:e].lower() for s, e in b])
    a_words = [original[s].isalnum() for s, _ in a]
    stretches: list[Stretch] = []
    for i1, i2, j1, j2 in changed:
        if i1 < i2 and j1 < j2 and i2 - i1 == j2 - j1:
            stretches += [(i, i + 1, j, j + 1) for i, j in zip(range(i1, i2), range(j1, j2))]
        elif i1 < i2 and j1 < j2:
            stretches.append((i1, i2, j1, j2))
        elif i2 < len(a) and j2 < len(b) and a_words[i2]:  # added or dropped words: join the word after
            stretches.append((i1, i2 + 1, j1, j2 + 1))
        elif i1 > 0 and j1 > 0:  # ...or the token before
            stretches.append((i1 - 1, i2, j1 - 1, j2))
    edits = []
    for i1, i2, j1, j2 in stretches:
        if i1 == i2 or j1 == j2:  # a whole text added or dropped: nothing to align it to
            continue
        start, end = b[j1][0], b[j2 - 1][1]
        words = original[a[i1][0] : a[i2 - 1][1]]
        if spun[start:end].lower() != words.lower():
            edits.append(_edit(spun, start, end, words))
    # (a stretch joined to its neighbour may overlap the edit before it: keep the first)
    out: list[dict] = []
    for e in sorted(edits, key=lambda e: e["spun_start"]):
        if not out or e["spun_start"] >= out[-1]["spun_end"]:
            out.append(e)
    return out


def _edit(spun: str, start: int, end: int, original: str) -> dict:
    """A gold edit as the bench's metrics read it."""
    return {"spun_start": start, "spun_end": end, "original": original, "substitute": spun[start:end]}


def read_pairs(path: Path) -> list[Pair]:
    """The pairs in a JSON Lines file, with a clear error for anything that isn't one."""
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise PairsError(f"{path}: can't read it ({e.strerror})") from None
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise PairsError(f"{path}: not UTF-8 text (byte {e.start})") from None
    pairs = []
    for n, line in enumerate(content.splitlines(), 1):
        if not line.strip():
            continue
        if len(line) > MAX_PAIR_CHARS:
            raise PairsError(f"{path}:{n}: line of {len(line):,} characters (at most {MAX_PAIR_CHARS:,})")
        try:
            item = json.loads(line)
        except json.JSONDecodeError as e:
            raise PairsError(f"{path}:{n}: not JSON ({e.msg})") from None
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("original", "spun")):
            raise PairsError(f'{path}:{n}: each line needs "original" and "spun" strings')
        rate = item.get("rate")
        number = isinstance(rate, (int, float)) and not isinstance(rate, bool)
        if rate is not None and not (number and 0 <= rate <= 1):
            raise PairsError(f'{path}:{n}: "rate" must be a number from 0 to 1')
        edits = item.get("edits")
        if edits is not None and not _valid_edits(edits, len(item["spun"])):
            fields = '{"spun_start", "spun_end", "original"}'
            raise PairsError(f'{path}:{n}: "edits" must be a list of {fields} within the spun text')
        edits = None if edits is None else tuple(edits)
        pairs.append(Pair(item["original"], item["spun"], str(item.get("id", n)), rate, edits))
    if not pairs:
        raise PairsError(f"{path}: no pairs in it")
    return pairs


def _valid_edits(edits, length: int) -> bool:
    return isinstance(edits, list) and all(
        isinstance(e, dict) and isinstance(e.get("original"), str)
        and all(isinstance(e.get(k), int) for k in ("spun_start", "spun_end"))
        and 0 <= e["spun_start"] <= e["spun_end"] <= length
        for e in edits
    )  # fmt: skip

"""Stage 6: renderers — restored text, JSON spans, or an inline diff, streamed paragraph by paragraph."""

from __future__ import annotations

import json
from typing import TextIO

from .results import Span, apply_spans

RED, GREEN, DIM, RESET = "\x1b[31;9m", "\x1b[32;1m", "\x1b[2m", "\x1b[0m"


class TextRenderer:
    """The restored text: byte for byte the input outside the edited spans."""

    def __init__(self, out: TextIO, color: bool = False):
        self.out = out

    def paragraph(self, para: str, offset: int, spans: list[Span]) -> None:
        local = [_shift(s, -offset) for s in spans]
        self.out.write(apply_spans(para, local))

    def close(self) -> None:
        self.out.flush()


class DiffRenderer(TextRenderer):
    """Inline diff: ``[-observed-]{+suggestion+}``, or struck-through red / green on a terminal."""

    def __init__(self, out: TextIO, color: bool = False):
        super().__init__(out)
        self.color = color

    def paragraph(self, para: str, offset: int, spans: list[Span]) -> None:
        pos = 0
        for s in spans:
            a, b = s.start - offset, s.end - offset
            self.out.write(para[pos:a])
            if self.color:
                self.out.write(
                    f"{RED}{s.observed}{RESET} {GREEN}{s.suggestion}{RESET}{DIM}({s.confidence:.0%}){RESET}"
                )
            else:
                self.out.write(f"[-{s.observed}-]{{+{s.suggestion}+}}")
            pos = b
        self.out.write(para[pos:])


class JsonRenderer(TextRenderer):
    """One JSON object ``{"spans": [...], "edits": N}``, written as the spans come."""

    def __init__(self, out: TextIO, color: bool = False):
        super().__init__(out)
        self.count = 0
        self.out.write('{"spans": [')

    def paragraph(self, para: str, offset: int, spans: list[Span]) -> None:
        for s in spans:
            self.out.write(("," if self.count else "") + "\n  " + json.dumps(s.to_dict(), ensure_ascii=False))
            self.count += 1

    def close(self) -> None:
        self.out.write(f'\n], "edits": {self.count}}}\n')
        self.out.flush()


def _shift(s: Span, by: int) -> Span:
    from dataclasses import replace

    return replace(s, start=s.start + by, end=s.end + by)


# --------------------------------------------------------------------------- check reports

YELLOW, BOLD = "\x1b[43;30m", "\x1b[1m"


def _probability(result) -> str:
    return "–" if result.probability is None else f"{result.probability:.2f}"


def check_line(name: str, result) -> str:
    """One line per document for multi-file runs."""
    return (
        f"{name}\t{result.verdict}\tp={_probability(result)}\tsuspicious={result.suspicious_share:.1%}"
        f"\twords={result.words}"
    )


def _spun_from(result) -> str:
    """Where the verdict turns: a probability of 0.77 reads as "spun" unless the threshold is shown."""
    if result.probability is None or result.threshold is None:
        return ""
    return f" (spun from {result.threshold:.2f})"


def check_text(source: str, result, color: bool = False) -> str:
    """Verdict, then the text with flagged spans marked and their likely originals."""
    head = (
        f"verdict: {result.verdict}   spin probability: {_probability(result)}{_spun_from(result)}   "
        f"suspicious words: {result.suspicious_share:.1%} of {result.words}"
        f"{'   (judged again by the neural restorer)' if result.confirmed else ''}\n\n"
    )
    parts, pos = [head], 0
    for s in result.spans:
        parts.append(source[pos : s.start])
        if color:
            parts.append(f"{YELLOW}{s.observed}{RESET}{DIM}→{s.suggestion}{RESET}")
        else:
            parts.append(f"[{s.observed} → {s.suggestion}]")
        pos = s.end
    parts.append(source[pos:])
    if not source.endswith("\n"):
        parts.append("\n")
    return "".join(parts)


def check_html(results: list) -> str:
    """A self-contained, shareable report (no external assets)."""
    from html import escape

    body = []
    for name, source, result in results:
        marked, pos = [], 0
        for s in result.spans:
            marked.append(escape(source[pos : s.start]))
            tip = f"likely original: {s.suggestion} ({s.confidence:.0%})"
            marked.append(f'<mark title="{escape(tip)}" tabindex="0">{escape(s.observed)}</mark>')
            marked.append(f'<sup class="orig">{escape(s.suggestion)}</sup>')
            pos = s.end
        marked.append(escape(source[pos:]))
        body.append(
            f"<section><h2>{escape(name)}</h2><p class='verdict'>{escape(result.verdict)} — spin probability "
            f"{_probability(result)}{_spun_from(result)}, suspicious words {result.suspicious_share:.1%} of "
            f"{result.words}</p>"
            f"<div class='text'>{''.join(marked)}</div></section>"
        )
    style = (
        "body{font-family:sans-serif;max-width:50rem;margin:auto;padding:1rem;line-height:1.5}"
        ".text{white-space:pre-wrap}mark{background:#ffe08a}sup.orig{color:#2a7a2a;font-size:.75em}"
        ".verdict{font-weight:bold}"
    )
    return (
        f"<!doctype html><html lang='en'><meta charset='utf-8'><title>unspin check</title>"
        f"<style>{style}</style><body><h1>unspin check</h1>{''.join(body)}</body></html>\n"
    )

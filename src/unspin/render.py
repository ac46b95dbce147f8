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

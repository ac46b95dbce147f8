"""Stage 5: results — spans with character offsets into the caller's text."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True, slots=True)
class Alternative:
    text: str
    probability: float


@dataclass(frozen=True, slots=True)
class Evidence:
    lm_gain: float  # nats the context model gains by the edit (path context)
    channel: float  # log P(observed | suggestion) under the thesaurus channel
    sources: tuple[str, ...]  # thesauri that link the two
    keep_probability: float  # probability left on keeping the observed words


@dataclass(frozen=True, slots=True)
class Span:
    """One suggested edit: ``source[start:end]`` (``observed``) was probably ``suggestion``."""

    start: int
    end: int
    observed: str
    suggestion: str
    confidence: float
    alternatives: tuple[Alternative, ...] = ()
    evidence: Evidence | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(slots=True)
class Restoration:
    """The restored ``text`` of ``source`` and the ``spans`` that make the difference."""

    source: str
    text: str
    spans: list[Span] = field(default_factory=list)
    spin_rate: float = 0.0  # estimated share of spun words, from the strong evidence

    def to_dict(self) -> dict:
        return {"text": self.text, "spin_rate": self.spin_rate, "spans": [s.to_dict() for s in self.spans]}


def apply_spans(source: str, spans: list[Span]) -> str:
    """Rebuild the text with every span replaced; identical to ``source`` elsewhere."""
    parts, pos = [], 0
    for s in spans:
        parts += [source[pos : s.start], s.suggestion]
        pos = s.end
    parts.append(source[pos:])
    return "".join(parts)

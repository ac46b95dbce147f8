"""unspin: detect and undo machine-spun (synonym-swapped) text, offline."""

from .restore import Restorer, restore
from .results import Restoration, Span

__all__ = ["Restorer", "Restoration", "Span", "restore"]
__version__ = "0.1.0"

"""unspin: detect and undo machine-spun (synonym-swapped) text, offline.

>>> import unspin
>>> r = unspin.restore(text)       # r.text, r.spans, r.spin_rate
>>> g = unspin.spin(text, rate=0.3, seed=1, style="mixed")   # g.spun, g.edits
"""

from .check import CheckResult, check
from .restore import Restorer, restore
from .results import Restoration, Span
from .spin import SpinResult, spin

__all__ = ["CheckResult", "Restorer", "Restoration", "Span", "SpinResult", "check", "restore", "spin"]
__version__ = "0.1.0"

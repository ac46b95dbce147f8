"""check on clean text: the screen alone against the screen with the neural confirmer (words/s, wall clock).

    .venv/bin/python bench/confirm_speed.py        # needs unspin[neural]
"""

import time

from unspin import text
from unspin.bench.run import select_documents
from unspin.check import Detector
from unspin.restore import neural_restorer

texts = [d.text for d in select_documents("test", 15000)]
n = sum(len(text.WORD_RE.findall(t)) for t in texts)
fast, slow = Detector(), Detector(confirmer=neural_restorer())
for t in texts[:3]:  # warm-up
    fast.check(t)
    slow.check(t)
for name, detector in (("screen", fast), ("screen + neural confirmer", slow)):
    t0 = time.perf_counter()
    confirmed = sum(detector.check(t).confirmed for t in texts)
    rate = n / (time.perf_counter() - t0)
    print(f"{name}: {rate:,.0f} words/s (wall, 2 cores), {n} words of clean text in {len(texts)} documents, "
          f"{confirmed} documents confirmed")  # fmt: skip

"""Train the detector's confirmer (src/unspin/data/confirmer.json) — reproducible, dev split only.

    .venv/bin/python bench/train_confirmer.py            # needs unspin[neural]

The confirmer judges again the units whose screening probability is uncertain (from
``check.CONFIRM_FROM`` up to the detector's verdict threshold), from the screen's log-odds and
the neural restorer's confident edits (``check.confirm_features``). Units: the paragraphs of at
least 80 words of the ``dev`` split, clean (label 0) and spun by *our own* spinner (mixed,
wordnet and moby styles at 10 %, mixed at 30 %; label 1); only the uncertain ones are kept, since
only those reach the confirmer. nlpaug output is never used here. The logistic model is fit with
balanced class weights, so its probabilities assume even odds like the screen's, and the verdict
uses the detector's own threshold; five-fold out-of-fold predictions (folds by paragraph) give
the reported figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from model_file import write_logistic  # bench/ is on sys.path when run as a script

from unspin.bench import corpora
from unspin.bench.run import MIN_PARAGRAPH_WORDS
from unspin.check import CONFIRM_FEATURES, CONFIRMER_PATH, Detector, confirm_features
from unspin.restore import neural_restorer
from unspin.spin import Spinner

VERSIONS = (("mixed", 0.1), ("wordnet", 0.1), ("moby", 0.1), ("mixed", 0.3))


def main() -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, cross_val_predict

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=CONFIRMER_PATH)
    args = ap.parse_args()
    neural = neural_restorer()
    detector, spinner = Detector(), Spinner()
    paragraphs = [
        p for d in corpora.documents("dev")
        for p in d.text.split("\n\n") if len(p.split()) >= MIN_PARAGRAPH_WORDS
    ]  # fmt: skip
    rows, screened = [], {0: 0, 1: 0}  # (paragraph, label, features); units screened per label
    t0 = time.time()
    for k, par in enumerate(paragraphs):
        versions = [(0, par)] + [
            (1, spinner.spin(par, rate=rate, seed=k, style=style).spun) for style, rate in VERSIONS
        ]
        for label, unit in versions:
            tally = detector.tallies(unit)[0]
            p = detector.probability(tally)
            screened[label] += p is not None
            if detector.uncertain(p):
                spans = neural.restore(unit).spans
                rows.append((k, label, confirm_features(p, spans, tally.words)))
        if k % 100 == 0:
            print(f"{k}/{len(paragraphs)} paragraphs, {len(rows)} uncertain units, {time.time() - t0:.0f}s",
                  file=sys.stderr)  # fmt: skip
    X = np.array([r[2] for r in rows])
    y = np.array([r[1] for r in rows])
    groups = [r[0] for r in rows]
    mean, scale = X.mean(0), X.std(0) + 1e-9
    Xs = (X - mean) / scale

    def fit(Xa, ya):
        return LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000).fit(Xa, ya)

    folds = GroupKFold(n_splits=5)
    p = cross_val_predict(fit(Xs, y), Xs, y, groups=groups, cv=folds, method="predict_proba")[:, 1]
    flagged = p >= detector.threshold
    report = {
        "uncertain_units": len(rows),
        "uncertain_clean": int((y == 0).sum()), "uncertain_spun": int((y == 1).sum()),
        "screened_clean": screened[0], "screened_spun": screened[1],
        # out of fold, among the uncertain units; a clean unit flagged here is a false alarm
        # added to the screen's own
        "confirmed_spun_share": float(flagged[y == 1].mean()) if (y == 1).any() else None,
        "clean_flagged_share": float(flagged[y == 0].mean()) if (y == 0).any() else None,
        "added_false_positive_rate_on_clean": float(flagged[y == 0].sum() / max(screened[0], 1)),
    }  # fmt: skip
    write_logistic(
        args.out, CONFIRM_FEATURES, mean, scale, fit(Xs, y), detector.threshold, report,
        f"dev split, {len(paragraphs)} paragraphs of {MIN_PARAGRAPH_WORDS}+ words, clean + own spinner "
        f"{list(VERSIONS)}, uncertain units only",
    )  # fmt: skip
    print(json.dumps(report), "→", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

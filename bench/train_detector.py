"""Train the spin detector (src/unspin/data/detector.json) — reproducible, dev split only.

    .venv/bin/python bench/train_detector.py [--words 20000]

Units are the documents and paragraphs of the ``dev`` split, clean (label 0) and spun by *our own*
spinner in every style at 10/30/50 % (label 1). nlpaug output is never used here; it is the
independent test in ``unspin bench``. The logistic model is fit with balanced class weights (its
probabilities assume even odds of spun and clean); five-fold out-of-fold predictions (folds by
document) give the reported figures and the verdict threshold: the lowest (at least 0.5) that keeps
false alarms on clean units of 80+ words within ``--max-fpr``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from model_file import write_logistic  # bench/ is on sys.path when run as a script

from unspin.bench.run import select_documents
from unspin.check import FEATURES, MODEL_PATH, Detector
from unspin.spin import STYLES, Spinner

RATES = (0.1, 0.3, 0.5)


def collect(words: int):
    detector = Detector(load_model=False)  # features only: no model needed yet
    spinner = Spinner()
    rows = []  # (document id, label, features, words)
    for d in select_documents("dev", words):
        versions = [(0, d.text)] + [
            (1, spinner.spin(d.text, rate=r, seed=k, style=s).spun)
            for k, (s, r) in enumerate((s, r) for s in STYLES for r in RATES)
        ]
        for label, text in versions:
            # Units as users check them: the whole document, and each paragraph on its own.
            units = [text] + text.split("\n\n") if "\n\n" in text else [text]
            for unit in units:
                tally = detector.tallies(unit)[0]
                if tally.words >= 8:
                    rows.append((d.id, label, tally.features(), tally.words))
    return rows


def main() -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score, roc_auc_score
    from sklearn.model_selection import GroupKFold, cross_val_predict

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=20_000, help="dev words of clean text")
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    ap.add_argument(
        "--max-fpr", type=float, default=0.005, help="false alarms allowed on held-out clean text"
    )
    args = ap.parse_args()
    rows = collect(args.words)
    X = np.array([r[2] for r in rows])
    y = np.array([r[1] for r in rows])
    groups = [r[0] for r in rows]
    mean, scale = X.mean(0), X.std(0) + 1e-9
    Xs = (X - mean) / scale

    def fit(Xa, ya):
        return LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000).fit(Xa, ya)

    # Out-of-fold probabilities (folds by document) pick the threshold and give honest figures.
    p = cross_val_predict(
        fit(Xs, y), Xs, y, groups=groups, cv=GroupKFold(n_splits=5), method="predict_proba"
    )[:, 1]
    # Verdict threshold: the lowest (at least 0.5) whose false-positive rate on clean units of at
    # least 80 words stays within --max-fpr.
    long_clean = np.sort([q for q, r in zip(p, rows) if r[1] == 0 and r[3] >= 80])
    allowed = int(args.max_fpr * len(long_clean))
    threshold = max(0.5, float(long_clean[len(long_clean) - 1 - allowed]) + 1e-6) if len(long_clean) else 0.5
    fpr = float(((p >= threshold) & (y == 0)).sum() / max((y == 0).sum(), 1))
    model = fit(Xs, y)
    yt = y
    report = {
        "units": len(rows), "long_clean_units": len(long_clean),
        "out_of_fold_f1": float(f1_score(yt, p >= threshold)), "out_of_fold_auc": float(roc_auc_score(yt, p)),
        "out_of_fold_false_positive_rate": fpr,
    }  # fmt: skip
    write_logistic(
        args.out, FEATURES, mean, scale, model, threshold, report,
        f"dev split, own spinner styles {list(STYLES)} at {list(RATES)} + clean, {args.words} clean words",
    )  # fmt: skip
    print(json.dumps(report), "→", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

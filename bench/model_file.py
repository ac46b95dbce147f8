"""Writing a trained model as the JSON file the engine reads (shared by the training scripts)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _reproducing(argv: list[str]) -> list[str]:
    """The command line less ``--samples FILE``: a local cache of the features, not an input."""
    out, skip = [], False
    for arg in argv:
        if skip or arg == "--samples" or arg.startswith("--samples="):
            skip = arg == "--samples"
            continue
        out.append(arg)
    return out


def _provenance(threshold: float, validation: dict, trained_on: str) -> dict:
    """What every model file says besides its weights: the threshold and how it was made."""
    return {
        "threshold": threshold,
        "validation": validation,
        "trained_on": trained_on,
        "command": "python " + " ".join(_reproducing(sys.argv)),
    }


def write_logistic(
    path: Path, features, mean, scale, model, threshold: float, validation: dict, trained_on: str,
    extra: dict | None = None,
) -> None:
    """Standardisation, coefficients, threshold, and how the model was made (the exact command);
    ``extra`` holds any tables the model needs besides (e.g. the detector's word likelihoods)."""
    spec = {
        "features": list(features),
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "coef": model.coef_[0].tolist(),
        "intercept": float(model.intercept_[0]),
        **_provenance(threshold, validation, trained_on),
        **(extra or {}),
    }
    path.write_text(json.dumps(spec, indent=1) + "\n")


def write_trees(
    path: Path, features, model, threshold: float, validation: dict, trained_on: str,
    extra: dict | None = None,
) -> None:
    """A fitted ``HistGradientBoostingClassifier`` as the flat node table ``decision.BoostedTrees``
    reads (its docstring explains the format), with the threshold and how the model was made."""
    roots, feature, split, left, right, value, depth = [], [], [], [], [], [], 0
    for (tree,) in model._predictors:  # one tree per boosting round (binary: one per round)
        base = len(feature)
        roots.append(base)
        for n in tree.nodes:
            feature.append(-1 if n["is_leaf"] else int(n["feature_idx"]))
            split.append(float(n["num_threshold"]))
            left.append(base + int(n["left"]))
            right.append(base + int(n["right"]))
            value.append(float(n["value"]) if n["is_leaf"] else 0.0)
            depth = max(depth, int(n["depth"]))
    spec = {
        "features": list(features),
        "baseline": float(model._baseline_prediction.ravel()[0]),
        "depth": depth,
        "roots": roots,
        "feature": feature,
        "split": split,  # unrounded: a row exactly at a split must go the same way
        "left": left,
        "right": right,
        "value": [round(x, 6) for x in value],
        **_provenance(threshold, validation, trained_on),
        **(extra or {}),
    }
    write_compact(path, spec)


def write_compact(path: Path, spec: dict) -> None:
    """A tree model's file: compact JSON, no indenting (it holds thousands of nodes)."""
    path.write_text(json.dumps(spec, separators=(",", ":")) + "\n")

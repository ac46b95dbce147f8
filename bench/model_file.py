"""Writing a trained logistic model as the JSON file the engine reads (shared by the training scripts)."""

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
        "threshold": threshold,
        "validation": validation,
        "trained_on": trained_on,
        "command": "python " + " ".join(_reproducing(sys.argv)),
        **(extra or {}),
    }
    path.write_text(json.dumps(spec, indent=1) + "\n")

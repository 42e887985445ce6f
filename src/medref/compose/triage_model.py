"""A small learned emergency detector that runs beside the triage rules.

Logistic regression over hashed features of the question: word unigrams and bigrams and/or
character 3- to 5-grams across the whole normalised text (which share features between "cant
breath" and "can't breathe"). Each question's features are binary and scaled to unit length.
Which feature sets are used is recorded in the weights file; cross-validation chose word
unigrams and bigrams alone for the shipped model. The weights live in ``triage_model.npz`` beside this module and are fitted by
``bench/fit_triage_model.py`` on the dev half of the labelled set only; the threshold was chosen
there by leave-one-round-out cross-validation (see the "Emergency triage" section of
docs/benchmarks.md).

The model can only add an emergency notice where the rules found none
(:func:`medref.compose.safety.triage`); it never names a category, so the poison-help and crisis
lines still come from the rules. Pure Python and numpy; the weights load once.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).with_name("triage_model.npz")
BITS = 20  # hashed feature space: 2**20 buckets
CHAR_NGRAMS = (3, 4, 5)
_WORD = re.compile(r"[a-z0-9']+")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, words only, single spaces."""
    return " ".join(_WORD.findall(text.lower().translate(_QUOTES)))


def feature_names(text: str, *, words: bool = True, chars: bool = True) -> list[str]:
    """The distinct feature strings of ``text`` (in first-seen order)."""
    norm = normalise(text)
    names: list[str] = []
    if words:
        tokens = norm.split()
        names += [f"w|{t}" for t in tokens]
        names += [f"b|{a} {b}" for a, b in pairwise(tokens)]
    if chars:
        padded = f" {norm} "
        names += [f"c|{padded[i : i + n]}" for n in CHAR_NGRAMS for i in range(len(padded) - n + 1)]
    return list(dict.fromkeys(names))


def hashed(names: Iterable[str]) -> list[int]:
    """Bucket numbers of feature strings (crc32, stable across runs and machines), deduplicated."""
    mask = (1 << BITS) - 1
    return sorted({zlib.crc32(name.encode()) & mask for name in names})


def features(text: str, *, words: bool = True, chars: bool = True) -> list[int]:
    return hashed(feature_names(text, words=words, chars=chars))


@dataclass(frozen=True)
class TriageModel:
    """Weights by bucket, a bias and the decision threshold on the probability."""

    weights: dict[int, float]
    bias: float
    threshold: float
    words: bool = True
    chars: bool = True
    info: dict[str, object] = field(default_factory=dict)

    def score(self, question: str) -> float:
        """Probability (0-1) that ``question`` describes an emergency happening now."""
        buckets = features(question, words=self.words, chars=self.chars)
        if not buckets:
            return 1.0 / (1.0 + math.exp(-self.bias))
        get = self.weights.get
        z = self.bias + sum(get(b, 0.0) for b in buckets) / math.sqrt(len(buckets))
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def fires(self, question: str) -> bool:
        return self.score(question) >= self.threshold


def save_model(path: Path, model: TriageModel) -> None:
    """Write the weights as a compressed npz (bucket numbers, weights, and a JSON header)."""
    buckets = np.array(sorted(model.weights), dtype=np.int32)
    weights = np.array([model.weights[int(b)] for b in buckets], dtype=np.float32)
    header = {
        "bias": model.bias,
        "threshold": model.threshold,
        "words": model.words,
        "chars": model.chars,
        "bits": BITS,
        "info": model.info,
    }
    with path.open("wb") as fh:
        np.savez_compressed(fh, buckets=buckets, weights=weights, header=np.array(json.dumps(header)))


def read_model(path: Path) -> TriageModel:
    """Load a model written by :func:`save_model`; a clear error names the file when it is damaged."""
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(str(data["header"]))
            buckets = data["buckets"].tolist()
            weights = data["weights"].astype(np.float64).tolist()
    except (OSError, KeyError, ValueError) as exc:
        raise ValueError(f"{path}: not a triage model file ({exc})") from exc
    if header.get("bits") != BITS or len(buckets) != len(weights):
        raise ValueError(
            f"{path}: triage model does not match this code (bits {header.get('bits')}, want {BITS})"
        )
    return TriageModel(
        weights=dict(zip(buckets, weights, strict=True)),
        bias=float(header["bias"]),
        threshold=float(header["threshold"]),
        words=bool(header["words"]),
        chars=bool(header["chars"]),
        info=dict(header.get("info", {})),
    )


@cache
def load_model() -> TriageModel | None:
    """The shipped model, loaded once; None when the weights file is absent (the rules then run alone)."""
    if not MODEL_PATH.exists():
        return None
    return read_model(MODEL_PATH)


def model_fires(question: str) -> bool:
    """Does the shipped model flag ``question`` as an emergency? False when no model ships."""
    model = load_model()
    return model is not None and model.fires(question)

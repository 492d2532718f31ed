"""The trained toxicity model: hashed word and char n-grams plus lexicon counts, logistic regression.

Stateless hashing features (nothing to fit but the weights), so training and scoring share
`features` exactly; the weights ship as a NumPy archive (no pickle) with a JSON model card.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl

from llmops.core.paths import package_path

MODEL_VERSION = "toxicity-hashed-lr-v1"
N_HASH = 2**18
# Long texts are scored on their first characters: toxicity in a prompt shows early, and the
# char n-grams of a 100 kB document would cost more than every other detector together.
MAX_CHARS = 2000


def model_path() -> Path:
    """The shipped weights."""
    return package_path("guardrails", "models", f"{MODEL_VERSION}.npz")


def card_path() -> Path:
    """The shipped model card."""
    return package_path("guardrails", "models", f"{MODEL_VERSION}.card.json")


@lru_cache(maxsize=1)
def _vectorizers() -> tuple[object, object]:
    """Word 1-2 and char_wb 2-5 hashing vectorizers (stateless)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    word = HashingVectorizer(n_features=N_HASH, ngram_range=(1, 2), alternate_sign=False)
    char = HashingVectorizer(
        n_features=N_HASH, analyzer="char_wb", ngram_range=(2, 5), alternate_sign=False
    )
    return word, char


def features(texts: pl.Series, counts: np.ndarray) -> object:
    """Sparse design matrix: hashed n-grams of the lower-cased text, log1p lexicon counts.

    Identity words (the lexicon's identity category: gay, muslim, women, immigrants ...) are
    removed before hashing, so the model cannot learn that naming a group is toxic (tweets about
    a group are often hateful in the training data); it learns the words around the group.
    """
    from scipy import sparse

    from llmops.guardrails.toxicity.lexicon import category_regexes

    word, char = _vectorizers()
    text = texts.cast(pl.Utf8).fill_null("").str.slice(0, MAX_CHARS).str.to_lowercase()
    docs = text.str.replace_all(category_regexes()["identity"], " ").to_list()
    extra = sparse.csr_matrix(np.log1p(np.asarray(counts, dtype=np.float64)))
    return sparse.hstack([word.transform(docs), char.transform(docs), extra]).tocsr()


@lru_cache(maxsize=1)
def load_weights() -> dict[str, np.ndarray | float | str]:
    """Coefficients, intercept and decision threshold of the shipped model, read once."""
    path = model_path()
    with np.load(path, allow_pickle=False) as z:
        version = str(z["version"])
        if version != MODEL_VERSION:
            raise ValueError(f"{path}: version {version!r} != {MODEL_VERSION}")
        return {
            "coef": z["coef"].astype(np.float64),
            "intercept": float(z["intercept"]),
            "threshold": float(z["threshold"]),
            "version": version,
        }


def predict_proba(texts: pl.Series, counts: np.ndarray) -> np.ndarray:
    """Toxic probability per text."""
    if len(texts) == 0:
        return np.zeros(0)
    w = load_weights()
    z = features(texts, counts) @ w["coef"] + w["intercept"]
    return 1.0 / (1.0 + np.exp(-np.asarray(z).ravel()))


def threshold() -> float:
    """The decision threshold chosen by cross-validation (see the model card)."""
    return float(load_weights()["threshold"])

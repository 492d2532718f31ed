"""Prompt-injection / jailbreak classifier: TF-IDF char + word n-grams, logistic regression."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

MODEL_VERSION = "injection-tfidf-lr-v1"
MODELS_DIR = Path(__file__).resolve().parent / "models"
MAX_CHARS = 2000  # texts are truncated before featurization (train and inference alike)
PARALLEL_MIN_TEXTS = 20_000


@dataclass(frozen=True)
class InjectionParams:
    """Hyperparameters of the two-stage model (fixed before the held-out evaluation)."""

    screen_c: float = 10.0
    full_c: float = 10.0
    char_features: int = 2**18
    word_features: int = 2**18
    cascade_threshold: float = 0.0  # below this screen probability the full model is skipped
    threshold: float = 0.5  # final probability at which a text is flagged


def build_screen(params: InjectionParams, seed: int) -> Any:
    """Fast stage: hashed word uni+bigrams, TF-IDF, logistic regression."""
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        HashingVectorizer(
            ngram_range=(1, 2),
            token_pattern=r"(?u)\b\w+\b",
            n_features=params.word_features,
            alternate_sign=False,
            norm=None,
        ),
        TfidfTransformer(sublinear_tf=True),
        LogisticRegression(
            C=params.screen_c, class_weight="balanced", max_iter=5000, random_state=seed
        ),
    )


def build_full(params: InjectionParams, seed: int) -> Any:
    """Accurate stage: hashed char_wb 2-5-grams plus word uni+bigrams, TF-IDF, LR."""
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    def branch(**kw: Any) -> Any:
        return make_pipeline(
            HashingVectorizer(alternate_sign=False, norm=None, **kw),
            TfidfTransformer(sublinear_tf=True),
        )

    return make_pipeline(
        make_union(
            branch(analyzer="char_wb", ngram_range=(2, 5), n_features=params.char_features),
            branch(
                ngram_range=(1, 2),
                token_pattern=r"(?u)\b\w+\b",
                n_features=params.word_features,
            ),
        ),
        LogisticRegression(
            C=params.full_c, class_weight="balanced", max_iter=5000, random_state=seed
        ),
    )


@dataclass
class InjectionModel:
    """Screen + full model; `predict_proba` takes a whole column at once."""

    screen: Any
    full: Any
    params: InjectionParams

    @classmethod
    def fit(
        cls, texts: list[str], labels: np.ndarray, params: InjectionParams, seed: int = 0
    ) -> InjectionModel:
        """Train both stages on the same rows."""
        x = [t[:MAX_CHARS] for t in texts]
        screen = build_screen(params, seed).fit(x, labels)
        full = build_full(params, seed).fit(x, labels)
        return cls(screen=screen, full=full, params=params)

    def predict_proba(self, texts: pl.Series | list[str]) -> np.ndarray:
        """Probability of injection for each text (null/empty texts score 0)."""
        series = texts if isinstance(texts, pl.Series) else pl.Series(texts, dtype=pl.Utf8)
        series = series.cast(pl.Utf8).fill_null("").str.slice(0, MAX_CHARS)
        out = np.zeros(len(series), dtype=np.float64)
        nonempty = (series.str.strip_chars().str.len_chars() > 0).to_numpy()
        idx = np.flatnonzero(nonempty)
        if idx.size == 0:
            return out
        x = series.gather(idx).to_list()
        p_screen = self.screen.predict_proba(x)[:, 1]
        out[idx] = p_screen
        hard = np.flatnonzero(p_screen >= self.params.cascade_threshold)
        if hard.size:
            out[idx[hard]] = self._full_proba([x[i] for i in hard])
        return out

    def _full_proba(self, texts: list[str]) -> np.ndarray:
        """Full-model probabilities; large batches are split over worker processes."""
        n_jobs = min(os.cpu_count() or 1, 4)
        if len(texts) < PARALLEL_MIN_TEXTS or n_jobs < 2:
            return self.full.predict_proba(texts)[:, 1]
        from joblib import Parallel, delayed

        chunks = np.array_split(np.arange(len(texts)), n_jobs)
        parts = Parallel(n_jobs=n_jobs, backend="loky")(
            delayed(_proba_chunk)(self.full, [texts[i] for i in c]) for c in chunks
        )
        return np.concatenate(parts)


def _proba_chunk(model: Any, texts: list[str]) -> np.ndarray:
    """Positive-class probability for one chunk (runs in a worker process)."""
    return model.predict_proba(texts)[:, 1]


def model_path(version: str = MODEL_VERSION) -> Path:
    """Where the committed artefact for `version` lives."""
    return MODELS_DIR / f"{version}.joblib"


def card_path(version: str = MODEL_VERSION) -> Path:
    """Where the model card (JSON) for `version` lives."""
    return MODELS_DIR / f"{version}.card.json"


@lru_cache(maxsize=2)
def load_model(version: str = MODEL_VERSION) -> InjectionModel:
    """Load (once per process) the committed artefact; raise if it is missing."""
    import joblib

    path = model_path(version)
    if not path.exists():
        raise FileNotFoundError(
            f"injection model {path} is missing: run scripts/train_guardrail_models.py"
        )
    payload = joblib.load(path)
    return InjectionModel(
        screen=payload["screen"], full=payload["full"], params=InjectionParams(**payload["params"])
    )


def load_card(version: str = MODEL_VERSION) -> dict[str, Any]:
    """The model card: version, data hashes, library versions, CV and held-out metrics."""
    return json.loads(card_path(version).read_text())


def predict_injection(texts: pl.Series) -> pl.DataFrame:
    """Per-row injection probability and flag, using the committed model."""
    model = load_model()
    proba = model.predict_proba(texts)
    return pl.DataFrame(
        {"row": np.arange(len(proba), dtype=np.uint32), "score": proba}
    ).with_columns(flagged=pl.col("score") >= model.params.threshold)

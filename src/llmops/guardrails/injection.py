"""Prompt-injection / jailbreak classifier: TF-IDF n-gram cascade plus a sentence-encoder stage."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from llmops.core.paths import package_path

MODEL_VERSION = "injection-tfidf-use-lr-v3"
MODELS_DIR = package_path("guardrails", "models")
MAX_CHARS = 2000  # texts are truncated before featurization (train and inference alike)
PARALLEL_MIN_TEXTS = 20_000
# Sentence pieces scored on their own (when params.sentence_threshold > 0): an injection
# appended to a benign question is diluted in the whole text's features.
SENTENCE = r"[^.!?\n]+[.!?]*"
MIN_SENTENCE_CHARS = 12
# Concatenation augmentation draws from short training texts only.
AUGMENT_MAX_POSITIVE_CHARS = 400
AUGMENT_MAX_BENIGN_CHARS = 300


@dataclass(frozen=True)
class InjectionParams:
    """Hyperparameters of the two-stage model (fixed before the held-out evaluation)."""

    screen_c: float = 10.0
    full_c: float = 10.0
    char_features: int = 2**18
    cascade_threshold: float = 0.0  # below this screen probability the full model is skipped
    threshold: float = 0.5  # final probability at which a text is flagged
    augment_pairs: int = 0  # benign+injection and benign+benign concatenations added per fit
    sentence_threshold: float = 0.0  # a sentence scoring >= this lifts its text (0 = off)
    embed_c: float = 0.0  # C of the LR on sentence-encoder embeddings (0 = no encoder stage)
    embed_weight: float = 0.5  # weight of the encoder LR in the blended score
    embed_band: float = 0.2  # the encoder runs only on texts whose whole-text score is >= this


def concat_augment(
    texts: list[str], labels: np.ndarray, n: int, seed: int
) -> tuple[list[str], np.ndarray]:
    """n "benign + injection" (label 1) and n "benign + benign" (label 0) texts from these rows.

    Injections in logs often follow an ordinary question; the benign pairs keep concatenation
    itself from becoming a signal. Only the given (training) rows are used.
    """
    short = np.array([len(t) for t in texts])
    pos = np.flatnonzero((labels == 1) & (short <= AUGMENT_MAX_POSITIVE_CHARS))
    neg = np.flatnonzero((labels == 0) & (short <= AUGMENT_MAX_BENIGN_CHARS))
    if n <= 0 or pos.size == 0 or neg.size < 2:
        return [], np.zeros(0, dtype=labels.dtype)
    rng = np.random.default_rng(seed)
    a, b, c = rng.choice(neg, n), rng.choice(pos, n), rng.choice(neg, n)
    out = [f"{texts[i]} {texts[j]}" for i, j in zip(a, b, strict=True)]
    out += [f"{texts[i]} {texts[j]}" for i, j in zip(a, c, strict=True)]
    return out, np.concatenate([np.ones(n), np.zeros(n)]).astype(labels.dtype)


def build_screen(params: InjectionParams, seed: int) -> Any:
    """Fast stage: word uni+bigram counts (polars, whole column), TF-IDF, logistic regression."""
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from llmops.guardrails.features import WordNgramCounts

    return make_pipeline(
        WordNgramCounts(),
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

    from llmops.guardrails.features import WordNgramCounts

    def branch(**kw: Any) -> Any:
        return make_pipeline(
            HashingVectorizer(alternate_sign=False, norm=None, **kw),
            TfidfTransformer(sublinear_tf=True),
        )

    return make_pipeline(
        make_union(
            branch(analyzer="char_wb", ngram_range=(2, 5), n_features=params.char_features),
            make_pipeline(WordNgramCounts(), TfidfTransformer(sublinear_tf=True)),
        ),
        LogisticRegression(
            C=params.full_c, class_weight="balanced", max_iter=5000, random_state=seed
        ),
    )


def build_embed(params: InjectionParams, seed: int) -> Any:
    """Encoder stage: logistic regression on the 512-d multilingual sentence embeddings."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(
        C=params.embed_c, class_weight="balanced", max_iter=5000, random_state=seed
    )


def blend_embed(score: np.ndarray, embed_score: np.ndarray, params: InjectionParams) -> np.ndarray:
    """Whole-text n-gram score, averaged with the encoder LR's where it is >= embed_band."""
    w = params.embed_weight
    return np.where(score >= params.embed_band, (1 - w) * score + w * embed_score, score)


@lru_cache(maxsize=1)
def default_encoder() -> Any:
    """The process-wide sentence encoder used at inference (weights loaded on first encode)."""
    from llmops.guardrails.features import SentenceEncoder

    return SentenceEncoder()


def training_rows(
    texts: list[str], labels: np.ndarray, params: InjectionParams, seed: int
) -> tuple[list[str], np.ndarray]:
    """Truncated texts plus this fit's concatenation augmentation (every stage trains on them)."""
    x = [t[:MAX_CHARS] for t in texts]
    extra, extra_y = concat_augment(x, labels, params.augment_pairs, seed)
    return x + [t[:MAX_CHARS] for t in extra], np.concatenate([labels, extra_y])


@dataclass
class InjectionModel:
    """Screen + full model (+ encoder stage); `predict_proba` takes a whole column at once."""

    screen: Any
    full: Any
    params: InjectionParams
    embed: Any = None
    encoder: Any = None  # None: default_encoder(); training passes a caching one
    # skip the encoder where the n-gram score alone already flags the text (see _blend_band)
    settle_without_encoder: bool = True

    @classmethod
    def fit(
        cls,
        texts: list[str],
        labels: np.ndarray,
        params: InjectionParams,
        seed: int = 0,
        encoder: Any = None,
    ) -> InjectionModel:
        """Train every stage on the same rows (plus their concatenation augmentation)."""
        x, labels = training_rows(texts, labels, params, seed)
        screen = build_screen(params, seed).fit(x, labels)
        full = build_full(params, seed).fit(x, labels)
        embed = None
        if params.embed_c > 0:
            vectors = (encoder or default_encoder()).encode(x)
            embed = build_embed(params, seed).fit(vectors, labels)
        return cls(screen=screen, full=full, params=params, embed=embed, encoder=encoder)

    def predict_proba(self, texts: pl.Series | list[str]) -> np.ndarray:
        """Probability of injection for each text (null/empty texts score 0).

        Identical texts (after truncation) are scored once: logs repeat templated prompts.
        """
        series = texts if isinstance(texts, pl.Series) else pl.Series(texts, dtype=pl.Utf8)
        series = series.cast(pl.Utf8).fill_null("").str.slice(0, MAX_CHARS)
        frame = pl.DataFrame({"text": series})
        uniq = (
            frame.filter(pl.col("text").str.strip_chars().str.len_chars() > 0)
            .unique("text", maintain_order=True)
            .with_row_index("u")
        )
        if uniq.is_empty():
            return np.zeros(len(series), dtype=np.float64)
        scores = self._proba_distinct(uniq["text"])
        u = frame.join(uniq, on="text", how="left", maintain_order="left")["u"]
        out = np.zeros(len(series), dtype=np.float64)
        out[u.is_not_null().to_numpy()] = scores[u.drop_nulls().to_numpy()]
        return out

    def _proba_distinct(self, texts: pl.Series) -> np.ndarray:
        """Cascade over non-empty texts: the screen for all, the full model where it is unsure.

        Order: whole-text full score, blended with the encoder stage in its band, then the
        sentence lift (so an appended injection's sentence score is not averaged away).
        """
        p_screen = self.screen.predict_proba(texts)[:, 1]
        out = p_screen.copy()
        hard = np.flatnonzero(p_screen >= self.params.cascade_threshold)
        if hard.size:
            out[hard] = self._full_proba(texts.gather(hard).to_list())
            if self.embed is not None:
                self._blend_band(texts, hard, out)
            if self.params.sentence_threshold > 0:
                pieces = split_sentences(texts.gather(hard))
                if not pieces.is_empty():
                    p_piece = self._full_proba(pieces["sentence"].to_list())
                    best = (
                        pieces.with_columns(p=p_piece)
                        .group_by("row")
                        .agg(pl.col("p").max())
                        .filter(pl.col("p") >= self.params.sentence_threshold)
                    )
                    rows = hard[best["row"].to_numpy()]
                    out[rows] = np.maximum(out[rows], best["p"].to_numpy())
        return out

    def _blend_band(self, texts: pl.Series, hard: np.ndarray, out: np.ndarray) -> None:
        """Encoder stage, in place: only texts whose whole-text score is in the band are encoded.

        The blend is (1 - w) * score + w * encoder score, with the encoder score in [0, 1]: where
        (1 - w) * score alone reaches the threshold the text is flagged whatever the encoder
        says, so it is not encoded and keeps its n-gram score (same verdict, a fraction of the
        time: on real text most of the band is such clear injections).
        """
        band = hard[out[hard] >= self.params.embed_band]
        if self.settle_without_encoder:
            floor = (1 - self.params.embed_weight) * out[band]
            band = band[floor < self.params.threshold]
        if band.size == 0:
            return
        vectors = (self.encoder or default_encoder()).encode(texts.gather(band).to_list())
        out[band] = blend_embed(out[band], self.embed.predict_proba(vectors)[:, 1], self.params)

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


def split_sentences(texts: pl.Series) -> pl.DataFrame:
    """(row, sentence) for texts of two or more sentences; short fragments are skipped."""
    return (
        pl.DataFrame({"text": texts})
        .select(
            row=pl.int_range(pl.len(), dtype=pl.UInt32),
            sentence=pl.col("text").str.extract_all(SENTENCE),
        )
        .filter(pl.col("sentence").list.len() > 1)
        .explode("sentence")
        .with_columns(pl.col("sentence").str.strip_chars())
        .filter(pl.col("sentence").str.len_chars() >= MIN_SENTENCE_CHARS)
    )


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
        screen=payload["screen"],
        full=payload["full"],
        params=InjectionParams(**payload["params"]),
        embed=payload.get("embed"),
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

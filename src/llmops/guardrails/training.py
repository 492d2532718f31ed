"""Training data loading and honest evaluation (grouped CV, held-out split) for the classifiers."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from llmops.core.paths import checkout, package_path
from llmops.guardrails.injection import InjectionModel, InjectionParams

INJECTION_FILES = {
    "deepset": "injection/deepset-prompt-injections-train.parquet",
    "jackhhao": "injection/jackhhao-jailbreak-train.csv",
}
# Hand-written benign instruction-style prompts (label 0), shipped with this package.
BENIGN_FILE = package_path("guardrails", "training_data", "benign_instructions.txt")
BENIGN_SOURCE = "benign-instructions"


def default_data_dir() -> Path:
    """datasets/public of the checkout (the public labelled sets are not in the wheel)."""
    return checkout("training the guardrail models") / "datasets" / "public"


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_benign_instructions(path: Path = BENIGN_FILE) -> pl.DataFrame:
    """The benign instruction prompts as (text, label=0, source); '#' lines are comments."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    texts = [line for line in lines if line and not line.startswith("#")]
    if not texts:
        raise ValueError(f"{path}: no prompts (one per line expected)")
    return pl.DataFrame(
        {"text": texts, "label": [0] * len(texts), "source": [BENIGN_SOURCE] * len(texts)},
        schema={"text": pl.Utf8, "label": pl.Int8, "source": pl.Utf8},
    )


def load_injection_data(data_dir: Path | None = None, *, benign: bool = True) -> pl.DataFrame:
    """Both injection sets (plus the benign instructions) as (text, label, source, group).

    Case/whitespace duplicates share a group id.
    """
    root = data_dir or default_data_dir()
    deepset_path = root / INJECTION_FILES["deepset"]
    jackhhao_path = root / INJECTION_FILES["jackhhao"]
    for path in (deepset_path, jackhhao_path):
        if not path.exists():
            raise FileNotFoundError(f"training file {path} is missing (see datasets/public)")
    deepset = pl.read_parquet(deepset_path).select(
        text=pl.col("text").cast(pl.Utf8),
        label=pl.col("label").cast(pl.Int8),
        source=pl.lit("deepset"),
    )
    jack = pl.read_csv(jackhhao_path)
    bad = jack.filter(~pl.col("type").is_in(["benign", "jailbreak"]))
    if bad.height:
        raise ValueError(
            f"{jackhhao_path}: unexpected `type` values {bad['type'].unique().to_list()}"
        )
    jack = jack.select(
        text=pl.col("prompt").cast(pl.Utf8),
        label=(pl.col("type") == "jailbreak").cast(pl.Int8),
        source=pl.lit("jackhhao"),
    )
    parts = [deepset, jack, *([load_benign_instructions()] if benign else [])]
    df = pl.concat(parts).filter(pl.col("text").is_not_null())
    norm = pl.col("text").str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()
    # Near-identical texts (case/whitespace) stay in one fold so CV never tests on a training copy.
    return df.with_columns(group=norm.rank("dense").cast(pl.Int64))


def data_hashes(data_dir: Path | None = None) -> dict[str, str]:
    """SHA-256 of each injection training file, keyed by its path under datasets/public."""
    root = data_dir or default_data_dir()
    hashes = {rel: file_sha256(root / rel) for rel in INJECTION_FILES.values()}
    hashes[f"llmops/guardrails/training_data/{BENIGN_FILE.name}"] = file_sha256(BENIGN_FILE)
    return hashes


def _f1_block(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Precision, recall, F1 for the positive class plus the row counts."""
    from sklearn.metrics import f1_score, precision_score, recall_score

    return {
        "precision": round(float(precision_score(y, pred, zero_division=0)), 4),
        "recall": round(float(recall_score(y, pred, zero_division=0)), 4),
        "f1": round(float(f1_score(y, pred, zero_division=0)), 4),
        "n": int(len(y)),
        "positives": int(y.sum()),
    }


def per_source_metrics(df: pl.DataFrame, proba: np.ndarray, threshold: float) -> dict[str, Any]:
    """F1 per source dataset and pooled, from out-of-sample probabilities."""
    y = df["label"].to_numpy()
    pred = (proba >= threshold).astype(int)
    out: dict[str, Any] = {"pooled": _f1_block(y, pred)}
    for source in sorted(df["source"].unique().to_list()):
        mask = (df["source"] == source).to_numpy()
        if y[mask].any():
            out[source] = _f1_block(y[mask], pred[mask])
        else:  # benign-only source: its false-positive rate is what matters
            out[source] = {
                "false_positive_rate": round(float(pred[mask].mean()), 4),
                "n": int(mask.sum()),
            }
    return out


def stratify_key(df: pl.DataFrame) -> np.ndarray:
    """Source x label, so each fold keeps both datasets' class balance."""
    return (df["source"] + "_" + df["label"].cast(pl.Utf8)).to_numpy()


def grouped_cv_proba(
    df: pl.DataFrame,
    params: InjectionParams,
    *,
    n_splits: int = 5,
    seed: int = 0,
    encoder: Any = None,
) -> np.ndarray:
    """Out-of-fold probabilities from StratifiedGroupKFold (each row scored by a model that never saw it)."""
    from sklearn.model_selection import StratifiedGroupKFold

    texts = df["text"].to_list()
    y = df["label"].to_numpy()
    proba = np.zeros(len(y))
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for train_idx, test_idx in cv.split(texts, stratify_key(df), df["group"].to_numpy()):
        model = InjectionModel.fit(
            [texts[i] for i in train_idx], y[train_idx], params, seed, encoder=encoder
        )
        proba[test_idx] = model.predict_proba([texts[i] for i in test_idx])
    return proba


def grouped_cv_scores(
    df: pl.DataFrame, params: InjectionParams, *, n_splits: int = 5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold full-model scores of each whole text and of its best sentence (0 if one).

    Lets the decision thresholds be chosen afterwards without refitting.
    """
    from sklearn.model_selection import StratifiedGroupKFold

    from llmops.guardrails.injection import MAX_CHARS, split_sentences

    texts = [t[:MAX_CHARS] for t in df["text"].to_list()]
    y = df["label"].to_numpy()
    whole, best = np.zeros(len(y)), np.zeros(len(y))
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for train_idx, test_idx in cv.split(texts, stratify_key(df), df["group"].to_numpy()):
        model = InjectionModel.fit([texts[i] for i in train_idx], y[train_idx], params, seed)
        test = pl.Series([texts[i] for i in test_idx], dtype=pl.Utf8)
        whole[test_idx] = model.full.predict_proba(test.to_list())[:, 1]
        pieces = split_sentences(test)
        if not pieces.is_empty():
            p = model.full.predict_proba(pieces["sentence"].to_list())[:, 1]
            top = pieces.with_columns(p=p).group_by("row").agg(pl.col("p").max())
            best[test_idx[top["row"].to_numpy()]] = top["p"].to_numpy()
    return whole, best


def grouped_cv_embed_scores(
    df: pl.DataFrame, params: InjectionParams, encoder: Any, *, n_splits: int = 5, seed: int = 0
) -> np.ndarray:
    """Out-of-fold encoder-LR scores of each whole text (same folds as `grouped_cv_scores`)."""
    from sklearn.model_selection import StratifiedGroupKFold

    from llmops.guardrails.injection import MAX_CHARS, build_embed, training_rows

    texts = [t[:MAX_CHARS] for t in df["text"].to_list()]
    y = df["label"].to_numpy()
    out = np.zeros(len(y))
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for train_idx, test_idx in cv.split(texts, stratify_key(df), df["group"].to_numpy()):
        x, labels = training_rows([texts[i] for i in train_idx], y[train_idx], params, seed)
        embed = build_embed(params, seed).fit(encoder.encode(x), labels)
        out[test_idx] = embed.predict_proba(encoder.encode([texts[i] for i in test_idx]))[:, 1]
    return out


def combine_scores(whole: np.ndarray, best: np.ndarray, sentence_threshold: float) -> np.ndarray:
    """The model's final score: a sentence at or over its threshold lifts the whole text."""
    if sentence_threshold <= 0:
        return whole
    return np.where(best >= sentence_threshold, np.maximum(whole, best), whole)


def screen_oof_proba(df: pl.DataFrame, params: InjectionParams, *, seed: int = 0) -> np.ndarray:
    """Out-of-fold probabilities of the fast screen stage alone (to place the cascade cut)."""
    from sklearn.model_selection import StratifiedGroupKFold

    from llmops.guardrails.injection import MAX_CHARS, build_screen, concat_augment

    texts = [t[:MAX_CHARS] for t in df["text"].to_list()]
    y = df["label"].to_numpy()
    proba = np.zeros(len(y))
    cv = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
    for train_idx, test_idx in cv.split(texts, stratify_key(df), df["group"].to_numpy()):
        x = [texts[i] for i in train_idx]
        extra, extra_y = concat_augment(x, y[train_idx], params.augment_pairs, seed)
        labels = np.concatenate([y[train_idx], extra_y])
        screen = build_screen(params, seed).fit(x + [t[:MAX_CHARS] for t in extra], labels)
        proba[test_idx] = screen.predict_proba([texts[i] for i in test_idx])[:, 1]
    return proba


def holdout_split(df: pl.DataFrame, *, test_size: float = 0.2, seed: int = 0) -> np.ndarray:
    """Boolean mask of held-out rows: grouped, stratified by source x label."""
    from sklearn.model_selection import StratifiedGroupKFold

    n_splits = round(1 / test_size)
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    _, test_idx = next(cv.split(df["text"].to_list(), stratify_key(df), df["group"].to_numpy()))
    mask = np.zeros(df.height, dtype=bool)
    mask[test_idx] = True
    return mask


def params_dict(params: InjectionParams) -> dict[str, Any]:
    """Hyperparameters as a JSON-ready dict."""
    return asdict(params)

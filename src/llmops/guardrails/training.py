"""Training data loading and honest evaluation (grouped CV, held-out split) for the classifiers."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from llmops.guardrails.injection import InjectionModel, InjectionParams

INJECTION_FILES = {
    "deepset": "injection/deepset-prompt-injections-train.parquet",
    "jackhhao": "injection/jackhhao-jailbreak-train.csv",
}


def default_data_dir() -> Path:
    """datasets/public at the repository root (this file is src/llmops/guardrails/...)."""
    return Path(__file__).resolve().parents[3] / "datasets" / "public"


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_injection_data(data_dir: Path | None = None) -> pl.DataFrame:
    """Both injection sets as (text, label, source, group); duplicates share a group id."""
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
    df = pl.concat([deepset, jack]).filter(pl.col("text").is_not_null())
    norm = pl.col("text").str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()
    # Near-identical texts (case/whitespace) stay in one fold so CV never tests on a training copy.
    return df.with_columns(group=norm.rank("dense").cast(pl.Int64))


def data_hashes(data_dir: Path | None = None) -> dict[str, str]:
    """SHA-256 of each injection training file, keyed by its path under datasets/public."""
    root = data_dir or default_data_dir()
    return {rel: file_sha256(root / rel) for rel in INJECTION_FILES.values()}


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
        out[source] = _f1_block(y[mask], pred[mask])
    return out


def stratify_key(df: pl.DataFrame) -> np.ndarray:
    """Source x label, so each fold keeps both datasets' class balance."""
    return (df["source"] + "_" + df["label"].cast(pl.Utf8)).to_numpy()


def grouped_cv_proba(
    df: pl.DataFrame, params: InjectionParams, *, n_splits: int = 5, seed: int = 0
) -> np.ndarray:
    """Out-of-fold probabilities from StratifiedGroupKFold (each row scored by a model that never saw it)."""
    from sklearn.model_selection import StratifiedGroupKFold

    texts = df["text"].to_list()
    y = df["label"].to_numpy()
    proba = np.zeros(len(y))
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for train_idx, test_idx in cv.split(texts, stratify_key(df), df["group"].to_numpy()):
        model = InjectionModel.fit([texts[i] for i in train_idx], y[train_idx], params, seed)
        proba[test_idx] = model.predict_proba([texts[i] for i in test_idx])
    return proba


def screen_oof_proba(df: pl.DataFrame, params: InjectionParams, *, seed: int = 0) -> np.ndarray:
    """Out-of-fold probabilities of the fast screen stage alone (to place the cascade cut)."""
    from sklearn.model_selection import StratifiedGroupKFold

    from llmops.guardrails.injection import MAX_CHARS, build_screen

    texts = [t[:MAX_CHARS] for t in df["text"].to_list()]
    y = df["label"].to_numpy()
    proba = np.zeros(len(y))
    cv = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
    for train_idx, test_idx in cv.split(texts, stratify_key(df), df["group"].to_numpy()):
        screen = build_screen(params, seed).fit([texts[i] for i in train_idx], y[train_idx])
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

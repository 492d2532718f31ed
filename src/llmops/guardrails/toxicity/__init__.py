"""Toxicity: a trained model and the category lexicon; either one's verdict makes "toxic".

`score_toxicity` returns, per row, the lexicon's category counts and score (`lexicon_score`),
the model's probability (`score`), `toxic` (the model at or above its threshold, or the
lexicon's verdict: slurs used alone and plain profanity, which the model weighs too little) and
the Jigsaw-style category labels (severe_toxic, obscene, threat, insult, identity_hate) from
the lexicon.
"""

from __future__ import annotations

import polars as pl

from llmops.guardrails.toxicity.lexicon import (
    COUNT_COLUMNS,
    LEXICON_VERSION,
    TOXICITY_LABELS,
    score_lexicon,
)
from llmops.guardrails.toxicity.model import MODEL_VERSION, predict_proba, threshold

__all__ = [
    "COUNT_COLUMNS",
    "LEXICON_VERSION",
    "MODEL_VERSION",
    "TOXICITY_LABELS",
    "score_lexicon",
    "score_toxicity",
]


def score_toxicity(texts: pl.Series) -> pl.DataFrame:
    """Per-row lexicon counts, the model's toxic probability (`score`) and the six labels."""
    lex = score_lexicon(texts)
    # The model scores each distinct text once (logged traffic repeats its questions).
    frame = pl.DataFrame({"text": texts.cast(pl.Utf8).fill_null("")}).with_columns(
        lex.select(COUNT_COLUMNS)
    )
    distinct = frame.unique("text", maintain_order=True)
    proba = predict_proba(distinct["text"], distinct.select(COUNT_COLUMNS).to_numpy())
    scored = distinct.select("text", p=pl.Series(proba, dtype=pl.Float64))
    model = frame.join(scored, on="text", how="left", maintain_order="left")["p"]
    return lex.with_columns(
        lexicon_score=pl.col("score"),
        score=pl.max_horizontal(model, pl.col("score")),
        toxic=pl.col("toxic") | (model >= threshold()),
    )

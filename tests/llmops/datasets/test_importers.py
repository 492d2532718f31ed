"""Importers: CSV, TSV, JSONL, Parquet through a column mapping; labels decide the kind."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from llmops.datasets.config import DatasetConfig, ImportSpec, load_config
from llmops.datasets.errors import DatasetError
from llmops.datasets.importers import import_files, normalize_text

SPEC = ImportSpec.model_validate(
    {
        "columns": {"question": "Q", "reference_answer": "A", "contexts": ["Doc1", "Doc2"]},
        "source": "src",
        "labels": {"faithful": "F"},
        "reference_if": ["faithful"],
        "metadata": {"url": "U"},
        "tags": {"topic": {"column": "U", "pattern": r"docs/([^/]+)/"}},
    }
)
FRAME = pl.DataFrame(
    {
        "Q": ["  What   is X?\r\n", "Why Y?"],
        "A": ["X is x.", "Because."],
        "Doc1": ["doc one", "doc three"],
        "Doc2": ["doc two", None],
        "F": ["1", "0"],
        "U": ["https://h/docs/sql/a.html", "https://h/docs/ml-flow/b"],
        "extra": ["e", "e"],
    }
)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "parquet", "jsonl"])
def test_every_format_maps_the_same_rows(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"raw.{fmt}"
    if fmt == "csv":
        FRAME.write_csv(path)
    elif fmt == "tsv":
        FRAME.with_columns(pl.col("Q").str.replace_all(r"\r\n", "")).write_csv(
            path, separator="\t", quote_style="never"
        )
    elif fmt == "parquet":
        FRAME.write_parquet(path)
    else:
        FRAME.write_ndjson(path)
    result = import_files([path], SPEC)
    assert result.rejected == [] and result.ignored_columns == ["extra"]
    first, second = result.rows
    assert first["question"] == "What is X?" and first["contexts"] == ["doc one", "doc two"]
    assert first["tags"] == ["kind:reference", "topic:sql"]
    assert first["metadata"] == {
        "human_labels": {"faithful": 1},
        "url": "https://h/docs/sql/a.html",
    }
    assert second["reference_answer"] is None and second["metadata"]["answer"] == "Because."
    assert second["tags"] == ["kind:negative", "topic:ml-flow"] and second["source"] == "src"
    assert first["_origin"] == f"raw.{fmt}:1"


def test_missing_mapped_column_and_unknown_format_raise(tmp_path: Path) -> None:
    path = tmp_path / "raw.csv"
    FRAME.drop("F").write_csv(path)
    with pytest.raises(DatasetError, match=r"'F' \(for labels.faithful\) not found"):
        import_files([path], SPEC)
    (tmp_path / "x.txt").write_text("q")
    with pytest.raises(DatasetError, match="unsupported file type"):
        import_files([tmp_path / "x.txt"], SPEC)
    with pytest.raises(DatasetError, match="no such file"):
        import_files([tmp_path / "missing.jsonl"], SPEC)


def test_normalize_text_and_config_errors(tmp_path: Path) -> None:
    assert normalize_text(" a \t b\r\n\n\n\nc  ") == "a b\n\nc"
    assert normalize_text("   ") is None
    bad = tmp_path / "dataset.yaml"
    bad.write_text("import:\n  reference_if: [nope]\n")
    with pytest.raises(DatasetError, match="not listed under labels"):
        load_config(bad)
    assert load_config(None) == DatasetConfig()

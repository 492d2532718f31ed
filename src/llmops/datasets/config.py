"""Per-dataset settings (`datasets/<name>/dataset.yaml`): column mapping, checks, dedup, split."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from llmops.datasets.errors import DatasetError

CONFIG_FILE = "dataset.yaml"
TEXT_FIELDS = ("question", "reference_answer", "contexts", "metadata")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TagRule(_Strict):
    """Derive a `prefix:value` tag from a column (value: the regex's first group, slugified)."""

    column: str
    pattern: str | None = None
    skip: list[str] = Field(default_factory=list, description="values that give no tag")


class ImportSpec(_Strict):
    """How raw columns map onto the item schema; unmapped item fields use their own name."""

    columns: dict[str, str | list[str]] = Field(
        default_factory=dict, description="item field -> source column (contexts: one or more)"
    )
    source: str | None = Field(None, description="item source when no `source` column exists")
    metadata: dict[str, str] = Field(default_factory=dict, description="metadata key -> column")
    labels: dict[str, str] = Field(
        default_factory=dict, description="human label -> column (kept in metadata.human_labels)"
    )
    reference_if: list[str] = Field(
        default_factory=list,
        description="labels that must all be 1 for the answer to become a reference; "
        "otherwise the row is kept as a labelled negative",
    )
    tags: dict[str, TagRule] = Field(default_factory=dict, description="tag prefix -> rule")

    @model_validator(mode="after")
    def _labels_known(self) -> ImportSpec:
        unknown = sorted(set(self.reference_if) - set(self.labels))
        if unknown:
            raise ValueError(f"reference_if names labels {unknown} not listed under labels")
        return self


class ValidationSpec(_Strict):
    """Bounds of the Great Expectations suite built for the dataset."""

    question_chars: tuple[int, int] = (5, 2000)
    answer_chars: tuple[int, int] = (1, 8000)
    context_chars: tuple[int, int] = (50, 100_000)
    contexts_per_item: tuple[int, int] = (1, 50)
    injection_threshold: float = Field(
        0.9, description="injection probability at or above which a row is quarantined"
    )
    injection_fields: list[str] = Field(
        default_factory=lambda: ["question"],
        description="fields the injection classifier checks (it is trained on prompts)",
    )
    pii_fields: list[str] = Field(
        default_factory=lambda: list(TEXT_FIELDS),
        description="fields scrubbed of PII/secrets (then checked clean with id, tags, source)",
    )

    @model_validator(mode="after")
    def _fields_known(self) -> ValidationSpec:
        bad = sorted(set(self.pii_fields) - set(TEXT_FIELDS))
        bad += sorted(set(self.injection_fields) - {"question", "reference_answer"})
        if bad:
            raise ValueError(f"unknown field(s) {bad}; text fields are {list(TEXT_FIELDS)}")
        return self


class DedupSpec(_Strict):
    """Near-duplicate questions: MinHash over character shingles, verified by exact Jaccard."""

    near_threshold: float = Field(0.85, gt=0, le=1)
    shingle_chars: int = Field(5, ge=2, le=12)
    num_perm: int = Field(128, ge=16, le=1024)


class SplitSpec(_Strict):
    """Stratified dev/test split by a tag prefix; earlier assignments are never moved."""

    test_fraction: float = Field(0.3, gt=0, lt=1)
    stratify_by: str = Field("kind", description="tag prefix whose value is the stratum")
    seed: str = "llmops"


class DatasetConfig(_Strict):
    """Everything that defines how a dataset is curated."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    description: str = ""
    license: str | None = None
    attribution: str | None = None
    import_: ImportSpec = Field(default_factory=ImportSpec, alias="import")
    validation: ValidationSpec = Field(default_factory=ValidationSpec)
    dedup: DedupSpec = Field(default_factory=DedupSpec)
    split: SplitSpec | None = None


def load_config(path: Path | None) -> DatasetConfig:
    """Read a dataset.yaml (defaults when `path` is None); raise naming the file and field."""
    if path is None:
        return DatasetConfig()
    try:
        data = yaml.safe_load(path.read_text()) or {}
        return DatasetConfig.model_validate(data)
    except FileNotFoundError as exc:
        raise DatasetError(f"{path}: dataset config not found") from exc
    except (yaml.YAMLError, ValidationError) as exc:
        raise DatasetError(f"{path}: invalid dataset config: {exc}") from exc

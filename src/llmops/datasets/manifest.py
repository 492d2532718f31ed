"""Manifest of a dataset version and the curation records it summarizes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field

from llmops.datasets.schema import SCHEMA_VERSION

Stage = Literal["import", "validation", "dedup"]


class Removal(BaseModel):
    """A row that did not make it into the candidate, and why."""

    origin: str = Field(description="file:line (JSONL) or file:row (CSV, TSV, Parquet)")
    id: str | None = None
    question: str | None = Field(None, description="start of the (scrubbed) question")
    stage: Stage
    reasons: list[str]
    row: dict[str, Any] | None = Field(None, description="the scrubbed row, for repair")


class ScrubRecord(BaseModel):
    """PII/secret spans replaced in one row: field -> label -> count."""

    origin: str
    id: str | None = None
    fields: dict[str, dict[str, int]]


class ClusterMember(BaseModel):
    """A removed duplicate and its similarity to the kept item."""

    id: str
    origin: str
    similarity: float
    exact: bool


class Cluster(BaseModel):
    """Duplicates around one kept item (`against`: batch or current version)."""

    keep: str
    keep_origin: str
    against: Literal["batch", "current"]
    removed: list[ClusterMember]


class CheckResult(BaseModel):
    """One expectation of the suite and how many rows failed it."""

    check: str
    expectation: str
    column: str
    failed: int


class ValidationSummary(BaseModel):
    """Result of the dataset's Great Expectations suite over one batch."""

    suite: str
    engine: str = "great_expectations"
    engine_version: str = ""
    evaluated: int = 0
    passed: int = 0
    quarantined: int = 0
    checks: list[CheckResult] = Field(default_factory=list)

    @property
    def success(self) -> bool:
        """True when no row failed any check."""
        return all(c.failed == 0 for c in self.checks)


class SourceFile(BaseModel):
    """A raw file read by the import."""

    path: str
    sha256: str
    format: str
    rows: int


class SourceInfo(BaseModel):
    """Where the version's rows came from."""

    kind: Literal["import", "flow"] = "import"
    mode: Literal["merge", "replace"] = "merge"
    files: list[SourceFile] = Field(default_factory=list)
    config: str | None = None
    flow_run_id: str | None = None


class Approval(BaseModel):
    """Who approved the version, when, how, and what they said."""

    by: str
    at: datetime
    method: Literal["prefect-ui", "auto", "cli"]
    comment: str = ""


class CurationSummary(BaseModel):
    """What the curation removed or changed on the way in."""

    rows_read: int = 0
    quarantined: int = 0
    duplicates_removed: int = 0
    duplicate_clusters: int = 0
    pii_scrubbed: dict[str, int] = Field(default_factory=dict, description="label -> spans")
    rows_scrubbed: int = 0


class DiffCounts(BaseModel):
    """Items added, removed, changed against the parent version."""

    added: int = 0
    removed: int = 0
    changed: int = 0


class Lineage(BaseModel):
    """Where the version is tracked (MLflow run with the dataset input)."""

    mlflow_experiment: str
    mlflow_run_id: str
    tracking_uri: str


class Manifest(BaseModel):
    """manifest.yaml: one per version; the dataset folder's copy marks the current version."""

    name: str
    version: str
    parent: str | None = None
    created: datetime
    rows: int
    schema_version: int = SCHEMA_VERSION
    counts: dict[str, int] = Field(default_factory=dict, description="rows per tag")
    source: SourceInfo
    approval: Approval
    validation: ValidationSummary
    curation: CurationSummary = Field(default_factory=CurationSummary)
    diff: DiffCounts = Field(default_factory=DiffCounts)
    lineage: Lineage | None = None

    def to_yaml(self) -> str:
        """The manifest as YAML (field order as declared)."""
        return yaml.safe_dump(
            self.model_dump(mode="json"), sort_keys=False, allow_unicode=True, width=100
        )

    @classmethod
    def from_yaml(cls, text: str) -> Manifest:
        """Parse a manifest.yaml."""
        return cls.model_validate(yaml.safe_load(text))

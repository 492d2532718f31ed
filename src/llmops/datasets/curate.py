"""The curation pipeline as plain functions: import, scrub, validate, dedup, merge, split, diff.

The Prefect flow calls each step through a task; `curate_files` chains them for the CLI and tests.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from llmops.datasets.config import DatasetConfig, SplitSpec
from llmops.datasets.dedup import DedupResult, deduplicate
from llmops.datasets.diff import VersionDiff, diff_items
from llmops.datasets.importers import ImportResult, derive_id, import_files
from llmops.datasets.manifest import (
    Approval,
    Cluster,
    ClusterMember,
    CurationSummary,
    Manifest,
    Removal,
    ScrubRecord,
    SourceFile,
    SourceInfo,
    ValidationSummary,
)
from llmops.datasets.schema import (
    FIELDS,
    Item,
    canonical_jsonl,
    canonical_line,
    tag_value,
    version_id,
)
from llmops.datasets.scrub import scrub_rows
from llmops.datasets.split import assign_split, split_counts
from llmops.datasets.store import DatasetStore
from llmops.datasets.validation import excerpt, validate_rows

Row = dict[str, Any]
Mode = Literal["merge", "replace"]
COUNTED_TAGS = ("kind:", "split:")


class Candidate(BaseModel):
    """A proposed version with everything a reviewer needs to judge it."""

    name: str
    version: str
    parent: str | None
    mode: Mode
    items: list[Item]
    diff: VersionDiff
    files: list[SourceFile] = Field(default_factory=list)
    config_path: str | None = None
    config_yaml: str | None = None
    ignored_columns: list[str] = Field(default_factory=list)
    rows_read: int = 0
    validation: ValidationSummary
    removals: list[Removal] = Field(default_factory=list)
    clusters: list[Cluster] = Field(default_factory=list)
    scrubbed: list[ScrubRecord] = Field(default_factory=list)
    split: dict[str, dict[str, int]] | None = None

    @property
    def unchanged(self) -> bool:
        """True when the candidate holds exactly the parent's items."""
        return self.version == self.parent

    @property
    def data(self) -> bytes:
        """The canonical JSONL of the candidate."""
        return canonical_jsonl(self.items)

    def summary(self) -> CurationSummary:
        """Counts for the manifest."""
        labels: Counter[str] = Counter()
        for rec in self.scrubbed:
            for per_label in rec.fields.values():
                labels.update(per_label)
        return CurationSummary(
            rows_read=self.rows_read,
            quarantined=sum(r.stage != "dedup" for r in self.removals),
            duplicates_removed=sum(r.stage == "dedup" for r in self.removals),
            duplicate_clusters=len(self.clusters),
            pii_scrubbed=dict(sorted(labels.items())),
            rows_scrubbed=len(self.scrubbed),
        )

    def manifest(
        self, approval: Approval, *, kind: Literal["import", "flow"], flow_run_id: str | None
    ) -> Manifest:
        """The manifest this candidate gets when approved."""
        tags: Counter[str] = Counter(
            t for i in self.items for t in i.tags if t.startswith(COUNTED_TAGS)
        )
        return Manifest(
            name=self.name,
            version=self.version,
            parent=self.parent,
            created=datetime.now(UTC).replace(microsecond=0),
            rows=len(self.items),
            counts=dict(sorted(tags.items())),
            source=SourceInfo(
                kind=kind,
                mode=self.mode,
                files=[
                    f.model_copy(update={"path": display_path(Path(f.path))}) for f in self.files
                ],
                config=self.config_path,
                flow_run_id=flow_run_id,
            ),
            approval=approval,
            validation=self.validation,
            curation=self.summary(),
            diff=self.diff.counts,
        )


class CurationResult(BaseModel):
    """What a curation run did and where to look."""

    status: Literal["promoted", "rejected", "unchanged"]
    name: str
    version: str
    parent: str | None
    rows: int
    dataset_dir: str
    quarantined: int = 0
    duplicates_removed: int = 0
    rows_scrubbed: int = 0
    added: int = 0
    removed: int = 0
    changed: int = 0
    reviewer: str | None = None
    comment: str | None = None
    mlflow_run_id: str | None = None
    tracking_uri: str | None = None
    flow_run_id: str | None = None

    def where_to_look(self, prefect_ui: str | None = None) -> list[str]:
        """Lines telling a person where to see the version, the report and the lineage."""
        lines = [
            f"Golden set:   {self.name}@{self.version} ({self.status}, {self.rows} items)",
            f"  files:      {self.dataset_dir} (items.jsonl, manifest.yaml)",
            f"  CLI:        llmops datasets show {self.name}",
        ]
        if prefect_ui and self.flow_run_id:
            lines.append(
                f"  Prefect UI: {prefect_ui.rstrip('/')}/runs/flow-run/{self.flow_run_id}"
                f"  (artifact: golden-curation-{self.name})"
            )
        if self.mlflow_run_id and self.tracking_uri:
            lines += [
                f"  MLflow:     experiment llmops-datasets, run {self.mlflow_run_id}",
                f"              mlflow ui --backend-store-uri {self.tracking_uri}",
            ]
        return lines

    @classmethod
    def of(
        cls, candidate: Candidate, status: str, dataset_dir: Path, **extra: Any
    ) -> CurationResult:
        """Result for a candidate."""
        s, d = candidate.summary(), candidate.diff.counts
        return cls(
            status=status,  # type: ignore[arg-type]
            name=candidate.name,
            version=candidate.version,
            parent=candidate.parent,
            rows=len(candidate.items),
            dataset_dir=str(dataset_dir),
            quarantined=s.quarantined,
            duplicates_removed=s.duplicates_removed,
            rows_scrubbed=s.rows_scrubbed,
            added=d.added,
            removed=d.removed,
            changed=d.changed,
            **extra,
        )


def display_path(path: Path) -> str:
    """Path relative to the working directory when inside it (portable manifests)."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path.resolve())


def identify(rows: list[Row]) -> tuple[list[Row], DedupResult]:
    """Give every row an id (hash of the question when none) and fold identical rows into one."""
    seen: dict[str, Row] = {}
    result = DedupResult()
    clusters: dict[str, Cluster] = {}
    for row in rows:
        row = dict(row)
        row["id"] = row.get("id") or derive_id(row.get("question"))
        if row["id"] is None:
            result.kept.append(row)
            continue
        key = canonical_line({k: row.get(k) for k in FIELDS})
        if key in seen:
            first = seen[key]
            reason = f"exact duplicate of batch row {first['id']} ({first['_origin']})"
            result.removed.append(
                Removal(
                    origin=row["_origin"],
                    id=row["id"],
                    question=excerpt(row.get("question")),
                    stage="dedup",
                    reasons=[reason],
                )
            )
            cluster = clusters.setdefault(
                key,
                Cluster(
                    keep=first["id"], keep_origin=first["_origin"], against="batch", removed=[]
                ),
            )
            cluster.removed.append(
                ClusterMember(id=row["id"], origin=row["_origin"], similarity=1.0, exact=True)
            )
            continue
        seen[key] = row
        result.kept.append(row)
    result.clusters = list(clusters.values())
    return result.kept, result


class Prepared(BaseModel):
    """Rows after scrubbing, with ids, identical rows folded."""

    rows: list[dict[str, Any]]
    scrubbed: list[ScrubRecord]
    identical: list[Removal]
    identical_clusters: list[Cluster]


class CurrentVersion(BaseModel):
    """The dataset's current version before a curation: its manifest and items (none yet: empty)."""

    manifest: Manifest | None = None
    items: list[Item] = Field(default_factory=list)


class Validated(BaseModel):
    """Rows after the GX suite: those that passed, those quarantined with their checks, a summary."""

    rows: list[dict[str, Any]]
    quarantined: list[Removal]
    summary: ValidationSummary


def current_version(store: DatasetStore, name: str) -> CurrentVersion:
    """The current version of `name` in the store."""
    manifest = store.current(name)
    return CurrentVersion(manifest=manifest, items=store.items(name) if manifest else [])


def prepare_step(rows: list[Row], config: DatasetConfig) -> Prepared:
    """Scrub PII/secrets from the configured fields, give ids, fold identical rows."""
    clean, scrubbed = scrub_rows(rows, config.validation.pii_fields)
    kept, identical = identify(clean)
    by_origin = {r["_origin"]: r["id"] for r in kept} | {r.origin: r.id for r in identical.removed}
    scrubbed = [s.model_copy(update={"id": by_origin.get(s.origin)}) for s in scrubbed]
    return Prepared(
        rows=kept,
        scrubbed=scrubbed,
        identical=identical.removed,
        identical_clusters=identical.clusters,
    )


def assemble(
    rows: list[Row], parent_items: list[Item], mode: Mode, split: SplitSpec | None
) -> tuple[list[Item], VersionDiff, str]:
    """Merge (update by id) or replace the parent's items, split, and hash: items, diff, version."""
    fresh = [Item(**{k: r[k] for k in FIELDS}) for r in rows]
    old = {i.id: i for i in parent_items}
    # the same item delivered again from another file is not a change (source is provenance)
    fresh = [
        old[i.id]
        if i.id in old and i.model_copy(update={"source": old[i.id].source}) == old[i.id]
        else i
        for i in fresh
    ]
    items = list((old | {i.id: i for i in fresh}).values()) if mode == "merge" else fresh
    if split is not None:
        previous = {i.id: s for i in parent_items if (s := tag_value(i.tags, "split"))}
        items = assign_split(items, split, previous)
    items.sort(key=lambda i: i.id)
    return items, diff_items(parent_items, items), version_id(canonical_jsonl(items))


def validate_step(name: str, rows: list[Row], config: DatasetConfig) -> Validated:
    """The dataset's GX suite: passing rows, quarantined rows with failed checks, summary."""
    passed, quarantined, summary = validate_rows(name, rows, config.validation)
    return Validated(rows=passed, quarantined=quarantined, summary=summary)


def dedup_step(rows: list[Row], parent_items: list[Item], config: DatasetConfig) -> DedupResult:
    """Exact and near duplicates within the batch and against the current version."""
    return deduplicate(rows, parent_items, config.dedup)


def build_candidate(
    name: str,
    imported: ImportResult,
    prepared: Prepared,
    validated: Validated,
    deduped: DedupResult,
    current: CurrentVersion,
    *,
    mode: Mode,
    split: SplitSpec | None,
    config_path: Path | None,
) -> Candidate:
    """Merge, split, hash and diff; collect every removal with its reason."""
    parent = current.manifest
    items, diff, version = assemble(deduped.kept, current.items, mode, split)
    return Candidate(
        name=name,
        version=version,
        parent=parent.version if parent else None,
        mode=mode,
        items=items,
        diff=diff,
        files=imported.files,
        config_path=display_path(config_path) if config_path else None,
        config_yaml=config_path.read_text() if config_path else None,
        ignored_columns=imported.ignored_columns,
        rows_read=len(imported.rows) + len(imported.rejected),
        validation=validated.summary,
        removals=[
            *imported.rejected,
            *validated.quarantined,
            *prepared.identical,
            *deduped.removed,
        ],
        clusters=[*prepared.identical_clusters, *deduped.clusters],
        scrubbed=prepared.scrubbed,
        split=split_counts(items, split.stratify_by) if split else None,
    )


def curate_files(
    store: DatasetStore,
    name: str,
    files: list[Path],
    config: DatasetConfig,
    *,
    mode: Mode = "merge",
    split: SplitSpec | None = None,
    config_path: Path | None = None,
) -> Candidate:
    """Every step without Prefect: the candidate version for `files` against the current one."""
    imported = import_files(files, config.import_)
    prepared = prepare_step(imported.rows, config)
    validated = validate_step(name, prepared.rows, config)
    current = current_version(store, name)
    deduped = dedup_step(validated.rows, current.items, config)
    return build_candidate(
        name,
        imported,
        prepared,
        validated,
        deduped,
        current,
        mode=mode,
        split=split or config.split,
        config_path=config_path,
    )


def write_curation_log(home: Path, candidate: Candidate, report: str) -> Path:
    """Keep the approved candidate's quarantine, removals and report under LLMOPS_HOME."""
    from llmops.lake.files import atomic_path

    folder = home / "curation" / candidate.name / candidate.version
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "removed.jsonl": "".join(
            json.dumps(r.model_dump(mode="json"), ensure_ascii=False, sort_keys=True) + "\n"
            for r in candidate.removals
        ),
        "scrubbed.jsonl": "".join(
            json.dumps(s.model_dump(mode="json"), sort_keys=True) + "\n" for s in candidate.scrubbed
        ),
        "report.md": report,
    }
    for fname, text in files.items():
        with atomic_path(folder / fname) as tmp:
            tmp.write_text(text)
    return folder

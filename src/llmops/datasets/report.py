"""Markdown report of a curation candidate (the Prefect artifact and the CLI output)."""

from __future__ import annotations

from llmops.datasets.curate import Candidate
from llmops.datasets.validation import excerpt

MAX_ROWS = 200


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return " ".join(text.split()).replace("|", "\\|")


def _table(header: list[str], rows: list[list[object]], limit: int = MAX_ROWS) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows[:limit]]
    if len(rows) > limit:
        out.append(f"\n… and {len(rows) - limit} more")
    return out


def candidate_report(c: Candidate, *, status: str | None = None) -> str:
    """Diff against the parent, validation results, removals with reasons, PII scrubbed, split."""
    parent = f"`{c.parent}`" if c.parent else "none (first version)"
    kinds = {k: sum(i.kind == k for i in c.items) for k in ("reference", "negative")}
    s = c.summary()
    lines = [
        f"# Golden curation: {c.name}",
        "",
        f"Candidate **`{c.version}`** (parent {parent}, mode `{c.mode}`): **{len(c.items)} items**"
        f" ({kinds['reference']} reference, {kinds['negative']} labelled negative)."
        + (" Identical to the parent: nothing to review." if c.unchanged else ""),
    ]
    if status:
        lines += ["", f"**Status: {status}**"]
    lines += [
        "",
        *_table(
            ["step", "rows"],
            [
                ["read", s.rows_read],
                ["rejected at import", sum(r.stage == "import" for r in c.removals)],
                ["quarantined by the GX suite", c.validation.quarantined],
                ["duplicates removed", s.duplicates_removed],
                ["rows with PII/secrets scrubbed", s.rows_scrubbed],
                ["items in the candidate", len(c.items)],
            ],
        ),
        "",
        "Sources: " + ", ".join(f"`{f.path}` ({f.format}, {f.rows} rows)" for f in c.files),
    ]
    if c.ignored_columns:
        lines.append(f"Columns not mapped (ignored): {', '.join(c.ignored_columns)}")
    d = c.diff
    lines += [
        "",
        f"## Diff against the parent: {len(d.added)} added, {len(d.removed)} removed, "
        f"{len(d.changed)} changed",
        "",
    ]
    rows: list[list[object]] = [["added", i.id, excerpt(i.question), ""] for i in d.added]
    rows += [["removed", i.id, excerpt(i.question), ""] for i in d.removed]
    rows += [
        ["changed", ch.id, excerpt(str(ch.after.get("question", ""))) or "", ", ".join(ch.fields)]
        for ch in d.changed
    ]
    if rows:
        lines += _table(["change", "id", "question", "fields"], rows)
    v = c.validation
    lines += [
        "",
        f"## Validation: Great Expectations suite `{v.suite}` (GX {v.engine_version or '-'})",
        "",
        f"{v.evaluated} rows evaluated, {v.passed} passed, {v.quarantined} quarantined.",
        "",
        *_table(
            ["check", "expectation", "column", "failed rows"],
            [[ck.check, ck.expectation, ck.column, ck.failed] for ck in v.checks],
        ),
    ]
    quarantined = [r for r in c.removals if r.stage in ("import", "validation")]
    lines += ["", f"## Quarantined rows ({len(quarantined)})", ""]
    if quarantined:
        lines += _table(
            ["origin", "id", "question", "reasons"],
            [[r.origin, r.id, r.question, "; ".join(r.reasons)] for r in quarantined],
        )
    else:
        lines.append("None.")
    dups = [r for r in c.removals if r.stage == "dedup"]
    lines += [
        "",
        f"## Duplicates removed ({len(dups)} in {len(c.clusters)} clusters)",
        "",
    ]
    if dups:
        lines += _table(
            ["origin", "id", "question", "reason"],
            [[r.origin, r.id, r.question, "; ".join(r.reasons)] for r in dups],
        )
        lines += ["", "Clusters (one item kept in each):", ""]
        lines += _table(
            ["kept", "kept from", "against", "removed (similarity)"],
            [
                [
                    cl.keep,
                    cl.keep_origin,
                    cl.against,
                    ", ".join(
                        f"{m.id} ({'exact' if m.exact else f'{m.similarity:.2f}'})"
                        for m in cl.removed
                    ),
                ]
                for cl in c.clusters
            ],
        )
    else:
        lines.append("None.")
    lines += ["", f"## PII scrubbed ({s.rows_scrubbed} rows: {_labels(s.pii_scrubbed)})", ""]
    if c.scrubbed:
        lines += _table(
            ["origin", "id", "field", "replaced"],
            [
                [rec.origin, rec.id, fld, _labels(per)]
                for rec in c.scrubbed
                for fld, per in rec.fields.items()
            ],
        )
    else:
        lines.append("None.")
    if c.split:
        lines += ["", "## Split", ""]
        lines += _table(
            ["stratum", "dev", "test"],
            [[k or "(none)", v.get("dev", 0), v.get("test", 0)] for k, v in c.split.items()],
        )
    return "\n".join(lines) + "\n"


def _labels(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} ×{v}" for k, v in counts.items()) or "none"


def review_note(c: Candidate) -> str:
    """Short description shown on the Prefect resume form."""
    d = c.diff
    return (
        f"**{c.name}** candidate `{c.version}` (parent `{c.parent or 'none'}`): {len(c.items)} items, "
        f"{len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed; "
        f"{c.validation.quarantined} quarantined, "
        f"{sum(r.stage == 'dedup' for r in c.removals)} duplicates removed, "
        f"{len(c.scrubbed)} rows scrubbed. Read the `golden-curation` artifact of this run, then "
        "approve or reject with a comment."
    )

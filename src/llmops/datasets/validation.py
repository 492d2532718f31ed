"""The dataset's Great Expectations suite: failing rows are quarantined with the checks they failed.

GX validates one pandas frame of per-row columns derived from the items (lengths, context counts,
PII spans left, injection probability); every GX call of the project lives in this module.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from llmops.datasets.config import ValidationSpec
from llmops.datasets.errors import DatasetError
from llmops.datasets.manifest import CheckResult, Removal, ValidationSummary
from llmops.datasets.schema import KIND_NEGATIVE, KIND_REFERENCE, tag_value

Row = dict[str, Any]
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$"
UNSCRUBBED_FIELDS = ("id", "tags", "source")
EXCERPT = 80


@dataclass(frozen=True)
class Check:
    """One expectation: its GX type and arguments, and how to explain a failing row."""

    key: str
    expectation: str
    column: str
    kwargs: dict[str, Any]
    explain: Callable[[dict[str, Any]], str]
    only_kind: str | None = None


def build_checks(spec: ValidationSpec) -> list[Check]:
    """The suite for a dataset, from its bounds (see dataset.yaml `validation:`)."""
    q_lo, q_hi = spec.question_chars
    a_lo, a_hi = spec.answer_chars
    c_lo, c_hi = spec.context_chars
    n_lo, n_hi = spec.contexts_per_item
    thr = spec.injection_threshold
    return [
        Check("id_present", "ExpectColumnValuesToNotBeNull", "id", {}, lambda r: "id is missing"),
        Check(
            "id_unique",
            "ExpectColumnValuesToBeUnique",
            "id",
            {},
            lambda r: f"id {r['id']} is shared by rows with different content",
        ),
        Check(
            "id_format",
            "ExpectColumnValuesToMatchRegex",
            "id",
            {"regex": ID_PATTERN},
            lambda r: f"id {r['id']!r} is not a plain token ({ID_PATTERN})",
        ),
        Check(
            "question_present",
            "ExpectColumnValuesToNotBeNull",
            "question",
            {},
            lambda r: "question is empty",
        ),
        Check(
            "question_length",
            "ExpectColumnValueLengthsToBeBetween",
            "question",
            {"min_value": q_lo, "max_value": q_hi},
            lambda r: f"question has {r['question_chars']} chars, not in [{q_lo}, {q_hi}]",
        ),
        Check(
            "reference_present",
            "ExpectColumnValuesToNotBeNull",
            "reference_answer",
            {},
            lambda r: "reference item without a reference answer",
            only_kind=KIND_REFERENCE,
        ),
        Check(
            "negative_answer_present",
            "ExpectColumnValuesToNotBeNull",
            "answer",
            {},
            lambda r: "labelled negative without its answer (metadata.answer)",
            only_kind=KIND_NEGATIVE,
        ),
        Check(
            "answer_length",
            "ExpectColumnValueLengthsToBeBetween",
            "answer",
            {"min_value": a_lo, "max_value": a_hi},
            lambda r: f"answer has {r['answer_chars']} chars, not in [{a_lo}, {a_hi}]",
        ),
        Check(
            "contexts_count",
            "ExpectColumnValuesToBeBetween",
            "n_contexts",
            {"min_value": n_lo, "max_value": n_hi},
            lambda r: f"{r['n_contexts']} context(s), not in [{n_lo}, {n_hi}]",
        ),
        Check(
            "context_min_length",
            "ExpectColumnValuesToBeBetween",
            "shortest_context_chars",
            {"min_value": c_lo},
            lambda r: f"a context has {r['shortest_context_chars']:.0f} chars (< {c_lo})",
        ),
        Check(
            "context_max_length",
            "ExpectColumnValuesToBeBetween",
            "longest_context_chars",
            {"max_value": c_hi},
            lambda r: f"a context has {r['longest_context_chars']:.0f} chars (> {c_hi})",
        ),
        Check(
            "source_present",
            "ExpectColumnValuesToNotBeNull",
            "source",
            {},
            lambda r: "source is empty",
        ),
        Check(
            "kind_known",
            "ExpectColumnValuesToBeInSet",
            "kind",
            {"value_set": [KIND_REFERENCE, KIND_NEGATIVE]},
            lambda r: f"kind:{r['kind']} is neither reference nor negative",
        ),
        Check(
            "no_pii",
            "ExpectColumnValuesToBeBetween",
            "pii_spans",
            {"max_value": 0},
            lambda r: (
                f"{r['pii_spans']} PII/secret span(s) left (id, tags, source or unscrubbed text)"
            ),
        ),
        Check(
            "no_injection",
            "ExpectColumnValuesToBeBetween",
            "injection_score",
            {"max_value": thr, "strict_max": True},
            lambda r: f"injection text (probability {r['injection_score']:.2f} >= {thr})",
        ),
    ]


def _lengths(texts: list[str]) -> tuple[float | None, float | None]:
    sizes = [len(t) for t in texts]
    return (min(sizes), max(sizes)) if sizes else (None, None)


def derived_frame(rows: list[Row], spec: ValidationSpec) -> list[dict[str, Any]]:
    """Per-row columns the suite checks (plain dicts; converted to pandas for GX)."""
    import polars as pl

    from llmops.datasets.scrub import count_pii
    from llmops.guardrails.injection import load_model

    pii = count_pii(rows, [*spec.pii_fields, *UNSCRUBBED_FIELDS])
    model = load_model()
    scores = [0.0] * len(rows)
    for fld in spec.injection_fields:
        texts = pl.Series([r.get(fld) for r in rows], dtype=pl.Utf8)
        for i, p in enumerate(model.predict_proba(texts).tolist()):
            scores[i] = max(scores[i], p)
    out = []
    for i, r in enumerate(rows):
        answer = r.get("reference_answer") or (r.get("metadata") or {}).get("answer")
        answer = answer if isinstance(answer, str) else None
        contexts = r.get("contexts") or []
        shortest, longest = _lengths(contexts)
        out.append(
            {
                "id": r.get("id"),
                "question": r.get("question"),
                "question_chars": len(r.get("question") or ""),
                "reference_answer": r.get("reference_answer"),
                "answer": answer,
                "answer_chars": len(answer or ""),
                "kind": tag_value(r.get("tags") or [], "kind") or KIND_REFERENCE,
                "source": r.get("source"),
                "n_contexts": len(contexts),
                "shortest_context_chars": shortest,
                "longest_context_chars": longest,
                "pii_spans": pii[i],
                "injection_score": round(scores[i], 6),
            }
        )
    return out


def _run_gx(suite_name: str, frame: list[dict[str, Any]], checks: list[Check]) -> dict[str, Any]:
    """Run the suite with GX (ephemeral context, whole-dataframe batch); per check: failed rows."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    import pandas as pd
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.row_conditions import Column

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    batch_def = (
        context.data_sources.add_pandas("golden")
        .add_dataframe_asset(suite_name)
        .add_batch_definition_whole_dataframe("candidates")
    )
    suite = context.suites.add(gx.ExpectationSuite(name=suite_name))
    for c in checks:
        kwargs: dict[str, Any] = {"column": c.column, **c.kwargs, "meta": {"check": c.key}}
        if c.only_kind:
            kwargs["row_condition"] = Column("kind") == c.only_kind
        suite.add_expectation(getattr(gxe, c.expectation)(**kwargs))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{suite_name}-candidates", data=batch_def, suite=suite)
    )
    df = pd.DataFrame(frame)
    result = definition.run(
        batch_parameters={"dataframe": df}, result_format={"result_format": "COMPLETE"}
    )
    failed: dict[str, list[int]] = {}
    for r in result.results:
        key = r.expectation_config.meta["check"]
        info = r.exception_info or {}
        if info.get("raised_exception"):
            raise DatasetError(f"expectation {key} could not run: {info.get('exception_message')}")
        failed[key] = sorted(int(i) for i in r.result.get("unexpected_index_list") or [])
    return {"failed": failed, "version": gx.__version__}


def validate_rows(
    suite_name: str, rows: list[Row], spec: ValidationSpec
) -> tuple[list[Row], list[Removal], ValidationSummary]:
    """Rows that pass every check, quarantined rows with their failed checks, and a summary."""
    checks = build_checks(spec)
    summary = ValidationSummary(suite=suite_name, evaluated=len(rows))
    if not rows:
        summary.checks = [
            CheckResult(check=c.key, expectation=c.expectation, column=c.column, failed=0)
            for c in checks
        ]
        return [], [], summary
    frame = derived_frame(rows, spec)
    run = _run_gx(suite_name, frame, checks)
    reasons: dict[int, list[str]] = {}
    for c in checks:
        for i in run["failed"].get(c.key, []):
            reasons.setdefault(i, []).append(f"{c.key}: {c.explain(frame[i])}")
    summary.engine_version = run["version"]
    summary.checks = [
        CheckResult(
            check=c.key,
            expectation=c.expectation,
            column=c.column,
            failed=len(run["failed"].get(c.key, [])),
        )
        for c in checks
    ]
    passed = [r for i, r in enumerate(rows) if i not in reasons]
    quarantined = [
        Removal(
            origin=rows[i]["_origin"],
            id=rows[i].get("id"),
            question=excerpt(rows[i].get("question")),
            stage="validation",
            reasons=reasons[i],
            row=public_row(rows[i]),
        )
        for i in sorted(reasons)
    ]
    summary.passed, summary.quarantined = len(passed), len(quarantined)
    return passed, quarantined, summary


def excerpt(text: str | None, width: int = EXCERPT) -> str | None:
    """Start of a text on one line."""
    if text is None:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def public_row(row: Row) -> Row:
    """The row without internal keys, JSON-safe."""
    return json.loads(json.dumps({k: v for k, v in row.items() if not k.startswith("_")}))

"""Combined guardrail scan over a frame of LLM calls: one row per finding, values masked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from llmops.guardrails.patterns import ALL_LABELS, PII_LABELS, SECRET_LABELS, SPEC_BY_LABEL
from llmops.guardrails.spans import find_candidates, mask_spans, resolve_overlaps

DETECTORS: tuple[str, ...] = ("pii", "secret", "injection", "toxicity", "leakage", "format")
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
DIRECTIONS = {"input_text": "input", "output_text": "output"}
EXCERPT_CONTEXT = 40
_PART_SCHEMA = {
    "row": pl.UInt32,
    "direction": pl.Utf8,
    "detector": pl.Utf8,
    "label": pl.Utf8,
    "severity": pl.Utf8,
    "start": pl.Int64,
    "end": pl.Int64,
    "score": pl.Float64,
    "excerpt": pl.Utf8,
}


def finding_schema(id_dtype: pl.DataType) -> dict[str, pl.DataType]:
    """Column names and types of scan_frame's result."""
    return {"call_id": id_dtype, **{k: v for k, v in _PART_SCHEMA.items() if k != "row"}}


def _check_args(
    df: pl.DataFrame, text_cols: Sequence[str], id_col: str, detectors: Sequence[str] | None
) -> tuple[str, ...]:
    """Raise with a clear message on missing columns or unknown detectors."""
    missing = [c for c in (id_col, *text_cols) if c not in df.columns]
    if missing:
        raise ValueError(f"scan_frame: column(s) {missing} not in frame columns {df.columns}")
    chosen = DETECTORS if detectors is None else tuple(detectors)
    unknown = sorted(set(chosen) - set(DETECTORS))
    if unknown:
        raise ValueError(f"scan_frame: unknown detector(s) {unknown}; known: {list(DETECTORS)}")
    return chosen


def _window(masked: pl.Expr, start: pl.Expr, end: pl.Expr, width: int) -> pl.Expr:
    """Masked context around [start, end) with ellipses where the text was cut."""
    lo = (start - width).clip(lower_bound=0)
    hi = end + width
    body = masked.str.slice(lo, hi - lo).str.replace_all(r"\s+", " ")
    pre = pl.when(lo > 0).then(pl.lit("...")).otherwise(pl.lit(""))
    post = pl.when(hi < masked.str.len_chars()).then(pl.lit("...")).otherwise(pl.lit(""))
    return pre + body + post


def _whole_text_excerpts(masked: pl.Series, rows: pl.Series, width: int) -> pl.Series:
    """Start of each row's masked text, for findings that cover the whole text."""
    frame = pl.DataFrame({"masked": masked.gather(rows)})
    return frame.select(
        _window(pl.col("masked"), pl.lit(0, pl.Int64), pl.lit(width, pl.Int64), width)
    ).to_series()


class _Column:
    """One text column being scanned: pattern spans and the masked text, computed lazily."""

    def __init__(self, texts: pl.Series, scan_patterns: bool) -> None:
        self.texts = texts.cast(pl.Utf8).fill_null("")
        self._spans: pl.DataFrame | None = None
        if scan_patterns:
            self._spans = find_candidates(self.texts, ALL_LABELS).drop("value", "left", "right")

    def spans_for(self, rows: pl.Series) -> pl.DataFrame:
        """All pattern spans on the given rows (reuses a full scan when there was one)."""
        if self._spans is not None:
            return self._spans.filter(pl.col("row").is_in(rows.implode()))
        found = find_candidates(self.texts.gather(rows), ALL_LABELS)
        found = found.drop("value", "left", "right")
        return found.with_columns(row=rows.gather(found["row"]))

    @property
    def spans(self) -> pl.DataFrame:
        """Every pattern span of the column (requires the pattern scan)."""
        assert self._spans is not None
        return self._spans


def _pattern_findings(col: _Column, labels: set[str], width: int) -> pl.DataFrame:
    """PII/secret findings with masked excerpts."""
    spans = col.spans
    masked, mspans = mask_spans(col.texts, spans)
    rep = mspans.filter(pl.col("label").is_in(sorted(labels)))
    if rep.is_empty():
        return pl.DataFrame(schema=_PART_SCHEMA)
    meta = pl.DataFrame(
        {
            "label": list(SPEC_BY_LABEL),
            "detector": [s.detector for s in SPEC_BY_LABEL.values()],
            "severity": [s.severity for s in SPEC_BY_LABEL.values()],
        }
    )
    rep = rep.join(meta, on="label")
    rep = rep.with_columns(masked=masked.gather(rep["row"]))
    # A low-confidence span (e.g. a voided example SSN) is reported one severity lower.
    lower = dict(zip(SEVERITIES[1:], SEVERITIES[:-1], strict=True))
    severity = (
        pl.when(pl.col("confidence") < 1.0)
        .then(pl.col("severity").replace(lower))
        .otherwise(pl.col("severity"))
    )
    return rep.select(
        "row",
        direction=pl.lit(""),
        detector="detector",
        label="label",
        severity=severity,
        start="start",
        end="end",
        score="confidence",
        excerpt=_window(pl.col("masked"), pl.col("mstart"), pl.col("mend"), width),
    )


def _whole_findings(
    col: _Column,
    rows: np.ndarray,
    scores: np.ndarray,
    detector: str,
    label: str,
    severity: list[str],
    width: int,
) -> pl.DataFrame:
    """Findings that cover a whole text (classifiers), with the masked start as excerpt."""
    if rows.size == 0:
        return pl.DataFrame(schema=_PART_SCHEMA)
    r = pl.Series("row", rows, dtype=pl.UInt32)
    sub_spans = col.spans_for(r)
    masked, _ = mask_spans(col.texts, sub_spans)
    return pl.DataFrame(
        {
            "row": r,
            "direction": "",
            "detector": detector,
            "label": label,
            "severity": severity,
            "start": None,
            "end": None,
            "score": scores,
            "excerpt": _whole_text_excerpts(masked, r, 2 * width),
        },
        schema=_PART_SCHEMA,
    )


def _leak_findings(col: _Column, leaks: pl.DataFrame, width: int) -> pl.DataFrame:
    """Leakage findings; the leaked span becomes "[SYSTEM_PROMPT]" in the excerpt."""
    if leaks.is_empty():
        return pl.DataFrame(schema=_PART_SCHEMA)
    pattern = col.spans_for(leaks["row"].unique())
    leak_spans = leaks.select("row", label=pl.lit("system_prompt"), start="start", end="end")
    merged = resolve_overlaps(
        [
            leak_spans.with_columns(
                value=pl.lit(""), left=pl.lit(""), right=pl.lit(""), confidence=pl.lit(1.0)
            ),
            pattern.with_columns(value=pl.lit(""), left=pl.lit(""), right=pl.lit("")),
        ]
    ).drop("value", "left", "right", "confidence")
    masked, mspans = mask_spans(col.texts, merged)
    mspans = mspans.filter(pl.col("label") == "system_prompt").join(
        leaks.select("row", "start", "score"), on=["row", "start"]
    )
    return mspans.with_columns(masked=masked.gather(mspans["row"])).select(
        "row",
        direction=pl.lit(""),
        detector=pl.lit("leakage"),
        label=pl.lit("system_prompt"),
        severity=pl.lit("high"),
        start="start",
        end="end",
        score="score",
        excerpt=_window(pl.col("masked"), pl.col("mstart"), pl.col("mend"), width),
    )


def scan_frame(
    df: pl.DataFrame,
    *,
    text_cols: Sequence[str] = ("input_text", "output_text"),
    id_col: str = "call_id",
    detectors: Sequence[str] | None = None,
    system_col: str = "system_prompt",
    schema_col: str = "output_schema",
    excerpt_context: int = EXCERPT_CONTEXT,
    injection_scores: Mapping[str, np.ndarray] | None = None,
) -> pl.DataFrame:
    """Run the guardrail detectors over whole columns; one row per finding, values masked.

    Injection runs on input columns, leakage and format on output columns (when `system_col` /
    `schema_col` exist in the frame), PII, secrets and toxicity on every text column.
    `injection_scores` (column -> probabilities) reuses scores the caller already computed.
    """
    chosen = set(_check_args(df, text_cols, id_col, detectors))
    pattern_labels = (set(PII_LABELS) if "pii" in chosen else set()) | (
        set(SECRET_LABELS) if "secret" in chosen else set()
    )
    parts: list[pl.DataFrame] = []
    for col_name in text_cols:
        direction = DIRECTIONS.get(col_name, col_name.removesuffix("_text"))
        col = _Column(df[col_name], scan_patterns=bool(pattern_labels))
        found: list[pl.DataFrame] = []
        if pattern_labels:
            found.append(_pattern_findings(col, pattern_labels, excerpt_context))
        if "injection" in chosen and direction != "output":
            from llmops.guardrails.injection import load_model

            model = load_model()
            given = (injection_scores or {}).get(col_name)
            proba = model.predict_proba(col.texts) if given is None else given
            rows = np.flatnonzero(proba >= model.params.threshold)
            found.append(
                _whole_findings(
                    col,
                    rows,
                    proba[rows],
                    "injection",
                    "injection",
                    ["high"] * rows.size,
                    excerpt_context,
                )
            )
        if "toxicity" in chosen:
            from llmops.guardrails.toxicity import score_toxicity

            tox = score_toxicity(col.texts).filter(pl.col("toxic"))
            sev = np.where(tox["severe_toxic"].to_numpy(), "high", "medium").tolist()
            found.append(
                _whole_findings(
                    col,
                    tox["row"].to_numpy(),
                    tox["score"].to_numpy(),
                    "toxicity",
                    "toxic",
                    sev,
                    excerpt_context,
                )
            )
        if "leakage" in chosen and direction == "output" and system_col in df.columns:
            from llmops.guardrails.leakage import find_leaks

            leaks = find_leaks(col.texts, df[system_col])
            found.append(_leak_findings(col, leaks, excerpt_context))
        if "format" in chosen and direction == "output" and schema_col in df.columns:
            from llmops.guardrails.output_format import check_format

            bad = check_format(col.texts, df[schema_col])
            part = _whole_findings(
                col,
                bad["row"].to_numpy(),
                np.ones(bad.height),
                "format",
                "",
                ["medium"] * bad.height,
                excerpt_context,
            )
            # the error says where the JSON breaks (no data); then the masked start of the output
            found.append(
                part.with_columns(
                    label=bad["label"], excerpt=bad["detail"] + pl.lit(" | ") + pl.col("excerpt")
                )
                if bad.height
                else part
            )
        for part in found:
            if not part.is_empty():
                parts.append(part.cast(_PART_SCHEMA).with_columns(direction=pl.lit(direction)))  # type: ignore[arg-type]
    schema = finding_schema(df[id_col].dtype)
    if not parts:
        return pl.DataFrame(schema=schema)
    order = {d: i for i, d in enumerate(DETECTORS)}
    out = (
        pl.concat(parts)
        .with_columns(_d=pl.col("detector").replace_strict(order, return_dtype=pl.Int32))
        .sort("row", "direction", "_d", "start", nulls_last=False)
    )
    ids = df[id_col].gather(out["row"])
    return out.with_columns(call_id=ids).select(list(schema))

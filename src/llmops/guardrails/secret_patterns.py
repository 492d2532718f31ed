"""Secret patterns (API keys, tokens, private keys), in priority order (regex crate syntax)."""

from __future__ import annotations

import polars as pl

from llmops.guardrails.pattern_spec import PatternSpec

SECRET_SPECS: tuple[PatternSpec, ...] = (
    PatternSpec(
        "private_key",
        "secret",
        "critical",
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=\s:,.]|-[A-Za-z])*"
        r"(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)?",
    ),
    PatternSpec(
        "jwt",
        "secret",
        "high",
        r"\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{8,}",
    ),
    PatternSpec("anthropic_key", "secret", "critical", r"\bsk-ant-[A-Za-z0-9_\-]{20,}"),
    PatternSpec(
        "openai_key",
        "secret",
        "critical",
        r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}",
        "random_token",
    ),
    PatternSpec(
        "github_token",
        "secret",
        "critical",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b",
    ),
    PatternSpec("slack_token", "secret", "critical", r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"),
    PatternSpec("google_api_key", "secret", "critical", r"\bAIza[0-9A-Za-z_\-]{35}"),
    PatternSpec("aws_access_key", "secret", "critical", r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
)
SECRET_LABELS: tuple[str, ...] = tuple(s.label for s in SECRET_SPECS)
SECRET_VALIDATORS: frozenset[str] = frozenset({"random_token"})


def validate_secret(df: pl.DataFrame, spec: PatternSpec) -> pl.DataFrame:
    """Apply a secret spec's validator (named in SECRET_VALIDATORS) to its candidates."""
    if spec.validator == "random_token":
        body = pl.col("value").str.replace(r"^sk-(?:proj-|svcacct-|admin-)?", "")
        return df.filter(
            ~pl.col("value").str.starts_with("sk-ant-")
            & body.str.contains(r"\d")
            & body.str.contains(r"[a-z]")
            & body.str.contains(r"[A-Z]")
        )
    raise ValueError(f"pattern {spec.label!r} names unknown validator {spec.validator!r}")

"""Settings of the live collector (the `collector:` section of llmops settings)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class CollectorSettings(BaseModel):
    """Credentials, limits, spool rotation and back-pressure of `llmops collector serve`."""

    token: SecretStr | None = Field(
        None,
        description="bearer token every endpoint accepts (LLMOPS_COLLECTOR__TOKEN); /feedback "
        "also accepts LLMOPS_FEEDBACK__TOKEN; without any credential the endpoints refuse all",
    )
    langfuse_public_key: str | None = Field(
        None, description="Langfuse-style public key (basic auth user) the Langfuse routes accept"
    )
    langfuse_secret_key: SecretStr | None = Field(
        None, description="Langfuse-style secret key (basic auth password)"
    )
    max_body_bytes: int = Field(
        8 * 1024 * 1024, gt=0, description="largest request body accepted, as sent (compressed)"
    )
    max_decoded_bytes: int = Field(
        32 * 1024 * 1024, gt=0, description="largest body after gzip/deflate decoding"
    )
    max_depth: int = Field(64, gt=1, description="deepest JSON nesting accepted")
    rotate_bytes: int = Field(
        8 * 1024 * 1024, gt=0, description="rotate a spool into a batch file at this size"
    )
    rotate_seconds: float = Field(
        30.0, gt=0, description="... or when its oldest payload is this old (seconds)"
    )
    max_spool_bytes: int = Field(
        1024 * 1024 * 1024,
        gt=0,
        description="spooled but not rotated bytes above which requests get 503 + Retry-After",
    )
    max_inflight: int = Field(
        256, gt=0, description="requests being written at once above which requests get 429"
    )
    retry_after_s: int = Field(1, gt=0, description="Retry-After of a 429/503 (seconds)")
    event_window_s: float = Field(
        60.0,
        ge=0,
        description="at most one `llmops.collector.rotated` event per this many seconds",
    )

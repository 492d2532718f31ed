"""Settings of the feedback capture and flywheel (the `feedback:` section of llmops settings)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class FeedbackSettings(BaseModel):
    """Bearer token and limits of `POST /feedback`; routing and clustering of the flywheel."""

    token: SecretStr | None = Field(
        None,
        description="bearer token POST /feedback requires (LLMOPS_FEEDBACK__TOKEN); "
        "without one the endpoint refuses every request",
    )
    max_body_bytes: int = Field(1_000_000, gt=0, description="largest request body accepted")
    max_records: int = Field(1000, gt=0, description="most feedback records in one request")
    max_text_chars: int = Field(
        8000, gt=0, description="longest comment or correction accepted (characters)"
    )
    datasets: dict[str, str] = Field(
        default_factory=lambda: {"docs-qa": "docs-qa"},
        description="prompt name -> golden dataset its negative feedback feeds",
    )
    near_threshold: float = Field(
        0.7,
        gt=0,
        le=1,
        description="question similarity (shingle Jaccard) at which candidates cluster; the "
        "dataset's own dedup threshold is used when lower",
    )
    review_limit: int = Field(50, gt=0, description="most candidates put before a reviewer")

"""A feedback event as senders write it, validated, and as the lake stores it (user id hashed)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from llmops.core.errors import LlmopsError

NEGATIVE_RATING = 2  # ratings at or below this are negative feedback


class FeedbackError(LlmopsError):
    """Feedback that cannot be read (the message names file, line and field)."""


class Kind(StrEnum):
    """What the user said about the answer."""

    thumb_up = "thumb_up"
    thumb_down = "thumb_down"
    rating = "rating"
    correction = "correction"
    flag = "flag"


class FeedbackIn(BaseModel):
    """One feedback event as sent (JSONL line, CSV row or HTTP body item)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    feedback_id: str = Field(min_length=1, max_length=200)
    call_id: str | None = Field(None, max_length=500)
    trace_id: str | None = Field(None, max_length=500)
    time: datetime | None = Field(None, description="when given; receive time when absent")
    kind: Kind
    rating: int | None = Field(None, ge=1, le=5)
    correction: str | None = None
    comment: str | None = None
    user_id: str | None = Field(None, description="raw user id: hashed, never stored")
    user_hash: str | None = Field(None, description="user id already hashed with the same key")

    @field_validator("call_id", "trace_id", "correction", "comment", "user_id", "user_hash")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None

    @model_validator(mode="after")
    def _consistent(self) -> FeedbackIn:
        if not (self.call_id or self.trace_id):
            raise ValueError("call_id or trace_id: one of them is required")
        if self.kind == Kind.rating and self.rating is None:
            raise ValueError("rating: required (1-5) for kind 'rating'")
        if self.kind != Kind.rating and self.rating is not None:
            raise ValueError(f"rating: only allowed with kind 'rating', not {self.kind.value!r}")
        if self.kind == Kind.correction and not self.correction:
            raise ValueError("correction: required (the right answer) for kind 'correction'")
        if self.user_id and self.user_hash:
            raise ValueError("user_id and user_hash: give one, not both")
        return self

    def hashed(self, user_key: bytes, received: datetime) -> FeedbackIn:
        """The same record with its receive time and the user id's keyed hash (no raw id)."""
        row = self.row(user_key, received)
        return self.model_copy(
            update={"time": row["created_at"], "user_id": None, "user_hash": row["user_hash"]}
        )

    def row(self, user_key: bytes, received: datetime) -> dict[str, Any]:
        """The lake row (without batch columns): the raw user id replaced by its keyed hash."""
        user_hash = self.user_hash
        if self.user_id:
            user_hash = hmac.new(user_key, self.user_id.encode(), hashlib.sha256).hexdigest()[:32]
        return {
            "feedback_id": self.feedback_id,
            "call_id": self.call_id,
            "trace_id": self.trace_id,
            "created_at": self.time or received,
            "kind": self.kind.value,
            "rating": self.rating,
            "correction": self.correction,
            "comment": self.comment,
            "user_hash": user_hash,
        }


def is_negative(kind: str, rating: int | None, correction: str | None) -> bool:
    """Thumbs-down, a flag, a correction or a rating of 1-2 (what the flywheel acts on)."""
    if correction:
        return True
    if kind == Kind.rating:
        return rating is not None and rating <= NEGATIVE_RATING
    return kind in (Kind.thumb_down, Kind.flag, Kind.correction)


def severity(kind: str, rating: int | None) -> int:
    """How bad the feedback says the answer was: 3 flag / rating 1, 2 down / correction, 1."""
    if kind == Kind.flag or (kind == Kind.rating and rating == 1):
        return 3
    if kind in (Kind.thumb_down, Kind.correction):
        return 2
    return 1


def explain(exc: ValidationError) -> list[str]:
    """One 'field X: message' per pydantic error (the model-level ones name their own field)."""
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        out.append(f"field {loc}: {msg}" if loc else f"field {msg}")
    return out


def parse_record(
    data: Any, where: str, max_text_chars: int
) -> tuple[FeedbackIn | None, str | None]:
    """(record, None) when valid, else (None, 'where: field X: why; ...')."""
    if not isinstance(data, dict):
        return None, f"{where}: not a JSON object"
    try:
        rec = FeedbackIn.model_validate(data)
    except ValidationError as exc:
        return None, f"{where}: " + "; ".join(explain(exc))
    for name in ("correction", "comment"):
        text = getattr(rec, name)
        if text and len(text) > max_text_chars:
            return None, f"{where}: field {name}: {len(text)} chars, over {max_text_chars}"
    return rec, None


def utcnow() -> datetime:
    """Now, UTC, whole microseconds (what the lake stores)."""
    return datetime.now(UTC)

"""`POST /feedback` bodies checked as before (422 naming record and field, nothing stored when any
record is invalid); kept records carry their receive time and the user id's keyed hash only."""

from __future__ import annotations

import json
from datetime import datetime

from llmops.collector.decode import load_json
from llmops.collector.errors import Refused
from llmops.feedback.model import parse_record


class FeedbackRefused(Refused):
    """422 with every invalid record's reason."""

    def __init__(self, errors: list[str]):
        super().__init__(
            422, f"{len(errors)} invalid record(s); nothing stored: {errors[0]}", "invalid_records"
        )
        self.errors = errors


def check_feedback(
    body: bytes,
    max_depth: int,
    max_records: int,
    max_text_chars: int,
    user_key: bytes,
    received: datetime,
) -> tuple[bytes, int]:
    """(JSONL of the records to spool, how many) or Refused (400/413/422)."""
    data = load_json(body, max_depth)
    items = data if isinstance(data, list) else [data]
    if not isinstance(data, dict | list) or not items:
        raise Refused(
            400, "body must be a feedback object or a non-empty list of them", "malformed"
        )
    if len(items) > max_records:
        raise Refused(413, f"{len(items)} records, over the limit of {max_records}", "too_large")
    lines: list[str] = []
    errors: list[str] = []
    for i, item in enumerate(items):
        where = f"body[{i}]" if isinstance(data, list) else "body"
        rec, reason = parse_record(item, where, max_text_chars)
        if rec is None:
            errors.append(reason or f"{where}: invalid")
        else:
            lines.append(
                json.dumps(
                    rec.hashed(user_key, received).model_dump(mode="json", exclude_none=True)
                )
            )
    if errors:
        raise FeedbackRefused(errors)
    return ("\n".join(lines) + "\n").encode(), len(lines)

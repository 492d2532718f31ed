"""What a request can be refused for: a status code and a message naming what is wrong."""

from __future__ import annotations


class Refused(Exception):
    """The request is answered `status` with `message`; nothing of it is stored."""

    def __init__(self, status: int, message: str, reason: str, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason  # short counter key: "auth", "too_large", "malformed", ...
        self.retry_after = retry_after

"""Errors of the dataset store and curation (messages name the file, line or field)."""

from __future__ import annotations

from llmops.core.errors import LlmopsError


class DatasetError(LlmopsError):
    """Bad input or an inconsistent store: the message says what and where."""


class StaleParentError(DatasetError):
    """The current version moved while a candidate was under review."""

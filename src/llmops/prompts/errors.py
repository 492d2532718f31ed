"""Errors of prompt files and the prompt registry (messages name the file, line and field)."""

from __future__ import annotations

from llmops.core.errors import LlmopsError


class PromptError(LlmopsError):
    """A bad prompt file, a bad render call or a registry reference that does not resolve."""

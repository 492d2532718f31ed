"""Errors of eval runs."""

from llmops.core.errors import LlmopsError


class EvalGateFailed(LlmopsError):
    """The candidate regressed significantly against its baseline."""

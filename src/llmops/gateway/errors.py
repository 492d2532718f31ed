"""Errors the gateway raises itself (provider errors are litellm's own exceptions)."""

from __future__ import annotations

from llmops.core.errors import LlmopsError


class BudgetExceeded(LlmopsError):
    """The gateway's USD cap is reached: no further call is made."""

    def __init__(self, cap: float, spent: float, calls: int, failures: int) -> None:
        """Say what was spent, over how many calls, and how to raise the cap."""
        self.cap, self.spent, self.calls = cap, spent, calls
        super().__init__(
            f"USD cap reached: ${spent:.6f} spent of a ${cap:.6f} cap over {calls} call(s) "
            f"({failures} failed); no further LLM call is made in this run. Raise the cap with "
            "the run's usd_cap parameter or LLMOPS_GATEWAY__USD_CAP (empty = no cap)."
        )

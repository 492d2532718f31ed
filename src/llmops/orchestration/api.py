"""Which Prefect API this process talks to."""

from __future__ import annotations


def api_url() -> str | None:
    """PREFECT_API_URL as Prefect's settings see it (environment, profile, temporary settings)."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None

"""Curate the seed golden set through the golden-curation flow, auto-approved."""

from __future__ import annotations

from llmops.core.settings import Settings
from llmops.datasets.curate import CurationResult
from llmops.datasets.seed import SEED_NAME, seed_paths


def curate_seed(settings: Settings) -> CurationResult:
    """Curate docs-qa from the ARES TSV through the flow (replace mode, auto-approved)."""
    from flows.golden_curation import golden_curation

    source, config = seed_paths(settings)
    return golden_curation(
        name=SEED_NAME,
        sources=[str(source)],
        config=str(config),
        mode="replace",
        auto_approve=True,
    )

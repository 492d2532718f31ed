"""The seed golden set: docs-qa curated from the shipped ARES human annotations."""

from __future__ import annotations

from pathlib import Path

from llmops.core.paths import checkout
from llmops.core.settings import Settings

SEED_NAME = "docs-qa"
SEED_FILE = Path("public/ares/ares-human-annotations.tsv")


def seed_paths(settings: Settings) -> tuple[Path, Path]:
    """The ARES TSV and the docs-qa dataset.yaml: the store's copy first, then the checkout's."""

    def pick(rel: Path) -> Path:
        local = settings.datasets_dir / rel
        if local.exists():
            return local
        return checkout("the seed dataset's sample data") / "datasets" / rel

    return pick(SEED_FILE), pick(Path(SEED_NAME) / "dataset.yaml")

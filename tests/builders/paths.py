"""Where the checkout is, for tests that read its prompts, datasets, notebooks and docs."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"

"""The small metric suite the eval tests share: one ragas LLM metric, one deterministic check.

Faithfulness is what the simulator's model-version bump lowers, so the gate can fail on it;
two metrics keep a 30-item eval run to seconds.
"""

from __future__ import annotations

SMALL_SUITE = """\
dataset: docs-qa
metrics:
  - name: faithfulness
    library: ragas
    metric: faithfulness
  - name: reference_key_phrases
    library: deterministic
    metric: contains
    params: {mode: fraction}
"""

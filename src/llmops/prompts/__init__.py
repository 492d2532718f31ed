"""Versioned prompts: YAML specs, strict rendering, content hashes, MLflow prompt registry.

Imports nothing heavy: MLflow and Jinja are imported inside the functions that use them.
"""

from llmops.prompts.errors import PromptError
from llmops.prompts.identity import content_hash, git_commit
from llmops.prompts.registry import (
    CANDIDATE,
    CHAMPION,
    PromptRegistry,
    PromptSummary,
    RegisteredPrompt,
    parse_ref,
)
from llmops.prompts.render import render
from llmops.prompts.spec import Message, PromptSpec, load_spec, load_specs, spec_path

__all__ = [
    "CANDIDATE",
    "CHAMPION",
    "Message",
    "PromptError",
    "PromptRegistry",
    "PromptSpec",
    "PromptSummary",
    "RegisteredPrompt",
    "content_hash",
    "git_commit",
    "load_spec",
    "load_specs",
    "parse_ref",
    "render",
    "spec_path",
]

"""Render a PromptSpec's messages with the prompts' Jinja environment (llmops.prompts.template)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from llmops.prompts.errors import PromptError
from llmops.prompts.template import compile_template

if TYPE_CHECKING:
    from llmops.prompts.spec import PromptSpec


def render(spec: PromptSpec, variables: Mapping[str, Any]) -> list[dict[str, str]]:
    """The chat messages for one set of variables; missing, unknown or None values raise."""
    from jinja2 import TemplateError

    declared = set(spec.variables)
    missing = sorted(declared - set(variables))
    unknown = sorted(set(variables) - declared)
    if missing or unknown:
        parts = [f"missing variable(s) {', '.join(missing)}"] if missing else []
        parts += [f"unknown variable(s) {', '.join(unknown)}"] if unknown else []
        raise PromptError(
            f"prompt {spec.name}: {'; '.join(parts)} (declared: {', '.join(spec.variables)})"
        )
    if none := sorted(k for k, v in variables.items() if v is None):
        raise PromptError(f"prompt {spec.name}: variable(s) {', '.join(none)} are None")
    out = []
    for i, message in enumerate(spec.messages):
        try:
            content = compile_template(message.content).render(**variables)
        except TemplateError as exc:
            raise PromptError(f"prompt {spec.name}: messages.{i}.content: {exc}") from exc
        out.append({"role": message.role, "content": content})
    return out

"""The prompts' Jinja environment (sandboxed, StrictUndefined): compile, list variables, format values.

Placeholders are `{{ variable }}`. A list value (e.g. `contexts`) renders as numbered blocks:
`[1]` on its own line, then the text, blocks separated by a blank line. A mapping renders as
JSON. Use Jinja filters for anything else (`{{ contexts | join("\\n") }}`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.sandbox import ImmutableSandboxedEnvironment


def numbered_blocks(values: list[Any] | tuple[Any, ...]) -> str:
    """`[1]\\nfirst\\n\\n[2]\\nsecond`: numbered blocks a model (and the simulator) can cite."""
    return "\n\n".join(f"[{i}]\n{_text(v)}" for i, v in enumerate(values, start=1))


def _text(value: Any) -> str:
    """How one value prints in a template."""
    if isinstance(value, list | tuple):
        return numbered_blocks(value)
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _finalize(value: Any) -> Any:
    """Jinja `finalize`: lists as numbered blocks, mappings as JSON, the rest unchanged."""
    return _text(value) if isinstance(value, list | tuple | Mapping) else value


@lru_cache(maxsize=1)
def _environment() -> ImmutableSandboxedEnvironment:
    """One sandboxed environment: undefined names raise, no HTML escaping, newlines kept."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        finalize=_finalize,
    )


@lru_cache(maxsize=256)
def compile_template(source: str) -> Template:
    """A compiled template (cached: an eval renders the same messages for every item)."""
    return _environment().from_string(source)


def template_variables(source: str) -> set[str]:
    """Names a template reads; ValueError (with the template's line) on a syntax error."""
    from jinja2 import TemplateSyntaxError, meta

    env = _environment()
    try:
        return set(meta.find_undeclared_variables(env.parse(source)))
    except TemplateSyntaxError as exc:
        raise ValueError(f"template syntax error on template line {exc.lineno}: {exc}") from exc

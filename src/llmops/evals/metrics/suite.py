"""Read a metric suite (datasets/<name>/suite.yaml); errors name the file, line and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from llmops.core.errors import ConfigError
from llmops.evals.metrics.models import Suite


class SuiteError(ConfigError):
    """A metric suite file that is missing or invalid."""


def _line(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest YAML node on the path `loc`."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def load_suite(path: Path) -> Suite:
    """Parse and validate a suite file; each metric remembers where it was read."""
    try:
        text = path.read_text()
    except FileNotFoundError as exc:
        raise SuiteError(f"{path}: metric suite not found") from exc
    try:
        data = yaml.safe_load(text) or {}
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise SuiteError(f"{path}: invalid YAML: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("metrics"), list):
        for i, entry in enumerate(data["metrics"]):
            if isinstance(entry, dict):
                entry.setdefault("source", f"{path}:{_line(root, ('metrics', i))} metrics[{i}]")
    try:
        return Suite.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        name = ""
        if len(loc) >= 2 and loc[0] == "metrics" and isinstance(loc[1], int):
            entry = data["metrics"][loc[1]]
            name = f" (metric {entry.get('name')!r})" if isinstance(entry, dict) else ""
        msg = first["msg"].removeprefix("Value error, ")
        raise SuiteError(
            f"{path}:{_line(root, loc)}: field {field or '<root>'}{name}: {msg}"
        ) from exc

"""`prompts/<name>.yaml` as a validated `PromptSpec`; errors say `file:line: field x: problem`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from llmops.prompts.errors import PromptError
from llmops.prompts.template import template_variables

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"  # MLflow's prompt name rule, bounded
IDENTIFIER_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
ALIAS_PATTERN = r"^[a-z][a-z0-9_-]*$"
DATASET_PATTERN = r"^[a-z0-9][a-z0-9._-]*(@[0-9a-f]{4,64})?$"
RESERVED_PARAMS = frozenset(
    {"model", "messages", "response_format", "stream", "api_base", "api_key", "base_url"}
)
SUFFIXES = (".yaml", ".yml")


class Message(BaseModel):
    """One chat message template: a role and a Jinja text with `{{ variable }}` placeholders."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1)

    @field_validator("content")
    @classmethod
    def _parses(cls, value: str) -> str:

        template_variables(value)  # raises ValueError on a template syntax error
        return value


class PromptSpec(BaseModel):
    """A prompt: chat template, declared variables, model alias, call params, output schema."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN, description="registry name; equals the file's stem")
    description: str = ""
    model: str = Field(pattern=ALIAS_PATTERN, description="model alias from settings")
    messages: list[Message] = Field(min_length=1)
    variables: list[str] = Field(
        default_factory=list, validate_default=True, description="every placeholder, declared"
    )
    params: dict[str, Any] = Field(default_factory=dict, description="temperature, max_tokens...")
    output_schema: dict[str, Any] | None = Field(None, description="JSON schema of the answer")
    datasets: list[str] = Field(default_factory=list, description="golden sets to evaluate on")

    _source: Path | None = PrivateAttr(default=None)

    @property
    def source(self) -> Path | None:
        """The file this spec was loaded from (None when built from the registry or in code)."""
        return self._source

    @field_validator("variables")
    @classmethod
    def _declared_exactly(cls, value: list[str], info: ValidationInfo) -> list[str]:

        for name in value:
            if not re.match(IDENTIFIER_PATTERN, name):
                raise ValueError(f"{name!r} is not an identifier (letters, digits, _)")
        if len(set(value)) != len(value):
            raise ValueError(f"declared twice: {sorted({v for v in value if value.count(v) > 1})}")
        messages: list[Message] | None = info.data.get("messages")
        if messages is None:  # messages failed validation: reported there
            return value
        used = set().union(*(template_variables(m.content) for m in messages))
        if undeclared := sorted(used - set(value)):
            raise ValueError(f"messages use undeclared variable(s) {', '.join(undeclared)}")
        if unused := sorted(set(value) - used):
            raise ValueError(f"declared but used by no message: {', '.join(unused)}")
        return value

    @field_validator("params")
    @classmethod
    def _plain_params(cls, value: dict[str, Any]) -> dict[str, Any]:
        if reserved := sorted(RESERVED_PARAMS & set(value)):
            raise ValueError(
                f"{', '.join(reserved)} cannot be a param (model: the `model` alias; "
                "response_format: `output_schema`; endpoints come from settings)"
            )
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"params must be plain JSON values: {exc}") from exc
        return value

    @field_validator("output_schema")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        import jsonschema

        try:
            jsonschema.validators.validator_for(value).check_schema(value)
        except jsonschema.SchemaError as exc:
            where = "/".join(str(p) for p in exc.path) or "(root)"
            raise ValueError(f"not a valid JSON schema at {where}: {exc.message}") from exc
        if value.get("type") != "object":
            raise ValueError("the root must be `type: object` (structured outputs need one)")
        return value

    @field_validator("datasets")
    @classmethod
    def _dataset_refs(cls, value: list[str]) -> list[str]:
        for ref in value:
            if not re.match(DATASET_PATTERN, ref):
                raise ValueError(f"{ref!r} is not a dataset name or NAME@VERSION")
        return value

    def response_format(self) -> dict[str, Any] | None:
        """The OpenAI `response_format` for `output_schema` (json_schema, strict), or None."""
        if self.output_schema is None:
            return None
        schema_name = re.sub(r"[^A-Za-z0-9_-]", "_", self.name)[:64]
        return {
            "type": "json_schema",
            "json_schema": {"name": schema_name, "schema": self.output_schema, "strict": True},
        }

    def call_params(self) -> dict[str, Any]:
        """Keyword arguments of the completion call besides model and messages."""
        params = dict(self.params)
        if (fmt := self.response_format()) is not None:
            params["response_format"] = fmt
        return params


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the YAML node at a pydantic error location (the deepest one that exists)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next(
                ((k, v) for k, v in node.value if getattr(k, "value", None) == str(part)), None
            )
            if found is None:
                return line
            line, node = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def parse_spec(text: str, where: str) -> PromptSpec:
    """Validate YAML text as a PromptSpec; `where` names the file in error messages."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PromptError(f"{where}{line}: invalid YAML: {problem}") from exc
    if not isinstance(data, dict):
        raise PromptError(f"{where}: expected a mapping of fields, got {type(data).__name__}")
    try:
        return PromptSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = _line_of(root, loc)
            field = ".".join(str(p) for p in loc) or "(root)"
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{where}{f':{line}' if line else ''}: field {field}: {msg}")
        raise PromptError("\n".join(problems)) from exc


def load_spec(path: Path) -> PromptSpec:
    """Read and validate one prompt file; its `name` must equal the file's stem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptError(f"{path}: cannot read prompt file: {exc}") from exc
    spec = parse_spec(text, str(path))
    if spec.name != path.stem:
        line = _line_of(yaml.compose(text, Loader=yaml.SafeLoader), ("name",))
        raise PromptError(
            f"{path}:{line}: field name: {spec.name!r} must equal the file name {path.stem!r}"
        )
    spec._source = path.resolve()
    return spec


def field_location(spec: PromptSpec, field: str) -> str:
    """`file:line` of a top-level field of a loaded spec, or `prompt <name>` without a file."""
    if spec.source is None:
        return f"prompt {spec.name}"
    try:
        line = _line_of(yaml.compose(spec.source.read_text(), Loader=yaml.SafeLoader), (field,))
    except (OSError, yaml.YAMLError):
        line = None
    return f"{spec.source}{f':{line}' if line else ''}"


def prompt_files(prompts_dir: Path) -> list[Path]:
    """The prompt files of a folder (`*.yaml`, `*.yml`), sorted by name."""
    if not prompts_dir.is_dir():
        raise PromptError(f"{prompts_dir}: prompts folder not found (setting prompts_dir)")
    return sorted(p for p in prompts_dir.iterdir() if p.suffix in SUFFIXES and p.is_file())


def load_specs(prompts_dir: Path) -> list[PromptSpec]:
    """Every prompt of a folder; one error listing every bad file (none is skipped)."""
    specs: list[PromptSpec] = []
    problems: list[str] = []
    for path in prompt_files(prompts_dir):
        try:
            specs.append(load_spec(path))
        except PromptError as exc:
            problems.append(str(exc))
    names = [s.name for s in specs]
    problems += [
        f"{prompts_dir}: prompt {n!r} is defined twice (.yaml and .yml)"
        for n in sorted({n for n in names if names.count(n) > 1})
    ]
    if problems:
        raise PromptError("\n".join(problems))
    return specs


def spec_path(prompts_dir: Path, name: str) -> Path:
    """The file of a prompt in a folder (`<name>.yaml` or `<name>.yml`)."""
    for suffix in SUFFIXES:
        if (path := prompts_dir / f"{name}{suffix}").is_file():
            return path
    raise PromptError(f"{prompts_dir}: no prompt file {name}.yaml")

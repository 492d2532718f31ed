"""Prompt files: validation errors name the file, line and field; the repo's prompts load."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from llmops.prompts import PromptError, load_spec, load_specs
from tests.builders.prompts import REPO_PROMPTS, WritePrompt

GOOD = """\
name: qa
model: candidate
messages:
  - role: system
    content: "Context: {{ contexts }}"
  - role: user
    content: "Question: {{ question }}"
variables: [contexts, question]
params: {temperature: 0}
"""


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "  - role: user\n",
            "  - role: robot\n",
            r"qa\.yaml:6: field messages\.1\.role: Input should be 'system', 'user' or 'assistant'",
        ),
        ("model: candidate\n", "", r"qa\.yaml:1: field model: Field required"),
        (
            "model: candidate\n",
            "model: Candidate Model\n",
            r"qa\.yaml:2: field model: String should match pattern",
        ),
        (
            "variables: [contexts, question]\n",
            "variables: [contexts]\n",
            r"qa\.yaml:8: field variables: messages use undeclared variable\(s\) question",
        ),
        (
            "variables: [contexts, question]\n",
            "variables: [contexts, question, extra]\n",
            r"qa\.yaml:8: field variables: declared but used by no message: extra",
        ),
        (
            "variables: [contexts, question]\n",
            "",
            r"qa\.yaml:1: field variables: messages use undeclared variable\(s\) contexts, question",
        ),
        (
            '"Question: {{ question }}"',
            '"Question: {{ question }"',
            r"qa\.yaml:7: field messages\.1\.content: template syntax error",
        ),
        (
            "params: {temperature: 0}\n",
            "params: {temperature: 0, response_format: x}\n",
            r"qa\.yaml:9: field params: response_format cannot be a param",
        ),
        (
            "params: {temperature: 0}\n",
            "params: {temperature: 0}\ncolour: red\n",
            r"qa\.yaml:10: field colour: Extra inputs are not permitted",
        ),
        (
            "params: {temperature: 0}\n",
            "output_schema: {type: object, properties: {a: {type: strin}}}\n",
            r"qa\.yaml:9: field output_schema: not a valid JSON schema at properties/a/type",
        ),
        (
            "params: {temperature: 0}\n",
            "output_schema: {type: array}\n",
            r"qa\.yaml:9: field output_schema: the root must be `type: object`",
        ),
        (
            "params: {temperature: 0}\n",
            "datasets: ['Docs QA']\n",
            r"qa\.yaml:9: field datasets: 'Docs QA' is not a dataset name",
        ),
        (
            "name: qa\n",
            "name: other\n",
            r"qa\.yaml:1: field name: 'other' must equal the file name 'qa'",
        ),
    ],
)
def test_validation_errors_name_file_line_and_field(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in GOOD
    path = tmp_path / "qa.yaml"
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(PromptError) as info:
        load_spec(path)
    assert str(path) in str(info.value)
    assert re.search(expected, str(info.value)), str(info.value)


def test_good_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "qa.yaml"
    path.write_text(GOOD)
    spec = load_spec(path)
    assert (spec.name, spec.model, spec.variables) == ("qa", "candidate", ["contexts", "question"])
    assert spec.source == path.resolve()
    assert spec.response_format() is None and spec.call_params() == {"temperature": 0}


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "qa.yaml"
    path.write_text(GOOD.replace("params: {temperature: 0}", "params: {temperature: 0"))
    with pytest.raises(PromptError, match=rf"{re.escape(str(path))}:10: invalid YAML"):
        load_spec(path)


def test_load_specs_reports_every_bad_file(prompts_dir: Path, write_prompt: WritePrompt) -> None:
    write_prompt("good")
    write_prompt("bad-model", model="Not An Alias")
    write_prompt("bad-role", messages=[{"role": "bot", "content": "hi"}], variables=[])
    with pytest.raises(PromptError) as info:
        load_specs(prompts_dir)
    message = str(info.value)
    assert "bad-model.yaml:3: field model" in message
    assert "bad-role.yaml:5: field messages.0.role" in message
    assert "good.yaml" not in message


def test_output_schema_becomes_a_strict_json_schema_response_format(
    write_prompt: WritePrompt,
) -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    spec = load_spec(write_prompt("qa.json", output_schema=schema))
    fmt = spec.call_params()["response_format"]
    assert fmt == {
        "type": "json_schema",
        "json_schema": {"name": "qa_json", "schema": schema, "strict": True},
    }


def test_repo_prompts_load_and_target_docs_qa() -> None:
    specs = {s.name: s for s in load_specs(REPO_PROMPTS)}
    assert {"docs-qa-answer", "docs-qa-json"} <= set(specs)
    for spec in specs.values():
        assert spec.datasets and spec.model
    assert specs["docs-qa-json"].output_schema is not None
    assert specs["docs-qa-answer"].output_schema is None

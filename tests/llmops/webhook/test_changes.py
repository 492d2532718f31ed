"""Net prompt changes over a push's commits, and which paths are prompt files."""

from __future__ import annotations

import pytest

from llmops.webhook.changes import from_commits, from_diff, prompt_name
from llmops.webhook.payloads import Commit


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("prompts/summarize.yaml", "summarize"),
        ("prompts/triage.v2.yml", "triage.v2"),
        ("prompts/.yaml", None),
        ("prompts/sub/x.yaml", None),
        ("prompts/README.md", None),
        ("other/prompts/x.yaml", None),
        ("promptsx.yaml", None),
    ],
)
def test_prompt_name(path: str, name: str | None) -> None:
    assert prompt_name(path, "prompts/") == name


def _c(author: str, **files: list[str]) -> Commit:
    return Commit(
        sha="a" * 40, author=author, **{"added": [], "modified": [], "removed": [], **files}
    )


P = "prompts/p.yaml"


@pytest.mark.parametrize(
    ("commits", "change", "author"),
    [
        ([_c("a", added=[P])], "added", "a"),
        ([_c("a", added=[P]), _c("b", modified=[P])], "added", "b"),
        ([_c("a", modified=[P]), _c("b", removed=[P])], "removed", "b"),
        ([_c("a", removed=[P]), _c("b", added=[P])], "modified", "b"),
        ([_c("a", modified=[P]), _c("b", modified=[P])], "modified", "b"),
        ([_c("a", added=[P]), _c("b", removed=[P])], None, None),
    ],
)
def test_net_change_over_commits(commits: list[Commit], change: str | None, author) -> None:
    found = from_commits(commits, "prompts/")
    if change is None:
        assert found.prompts == [] and found.transient == [P]
    else:
        (p,) = found.prompts
        assert (p.prompt, p.path, p.change, p.author) == ("p", P, change, author)


def test_from_diff_separates_prompt_files_from_other_files_in_the_folder() -> None:
    found = from_diff(
        [("added", "prompts/a.yml"), ("removed", "prompts/notes.md"), ("modified", "src/x.py")],
        "prompts/",
        "zoe",
    )
    assert [(p.prompt, p.change, p.author) for p in found.prompts] == [("a", "added", "zoe")]
    assert found.other_files == ["prompts/notes.md"]


def test_a_custom_prefix_is_honoured() -> None:
    found = from_commits(
        [_c("a", modified=["llm/prompts/x.yaml", "prompts/y.yaml"])], "llm/prompts/"
    )
    assert [p.prompt for p in found.prompts] == ["x"]

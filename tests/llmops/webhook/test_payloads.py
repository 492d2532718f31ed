"""Payload parsing: what is acted on, what is ignored and why, and errors naming the field."""

from __future__ import annotations

import pytest

from llmops.webhook.payloads import Ignored, Merge, PayloadError, Push, parse_github, parse_gitlab
from tests.builders.webhook import commit, github_pr, github_push, gitlab_mr, gitlab_push


def test_github_push_and_merge() -> None:
    push = parse_github("push", github_push([commit(added=["prompts/a.yaml"])]), None)
    assert isinstance(push, Push) and push.complete and push.commits[0].author == "alice"
    merge = parse_github("pull_request", github_pr("ab" * 20, "cd" * 20), None)
    assert isinstance(merge, Merge) and (merge.base, merge.author) == ("cd" * 20, "bob")


def test_gitlab_push_with_truncated_commit_list_is_marked_incomplete() -> None:
    payload = gitlab_push([commit(modified=["prompts/a.yaml"])]) | {"total_commits_count": 35}
    parsed = parse_gitlab("Push Hook", payload, None)
    assert isinstance(parsed, Push) and not parsed.complete


@pytest.mark.parametrize(
    ("provider", "event", "payload", "reason"),
    [
        ("github", "push", github_push([], branch="dev"), "not the default branch"),
        ("github", "pull_request", github_pr("ab" * 20, base_ref="dev"), "merged into 'dev'"),
        ("github", "release", {}, "not handled"),
        ("gitlab", "Push Hook", gitlab_push([], after="0" * 40), "deleted branch"),
        ("gitlab", "Merge Request Hook", gitlab_mr(None, action="close"), "only merged"),
        ("gitlab", "Merge Request Hook", gitlab_mr("ab" * 20, target="dev"), "merged into 'dev'"),
        ("gitlab", "Tag Push Hook", {}, "not handled"),
    ],
)
def test_ignored_with_a_reason(provider, event, payload, reason) -> None:
    parse = parse_github if provider == "github" else parse_gitlab
    parsed = parse(event, payload, None)
    assert isinstance(parsed, Ignored) and reason in parsed.reason


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"repository": {"full_name": "a/b"}}, "field repository.default_branch is missing"),
        (github_push([]) | {"ref": 3}, "field ref is not str (got int)"),
        (github_push([]) | {"commits": {}}, "field commits is not list"),
        (github_push([commit(added=[1])]), "commits[0]: field added holds a non-string path 1"),
    ],
)
def test_bad_payload_names_the_field(payload: dict, message: str) -> None:
    with pytest.raises(PayloadError) as err:
        parse_github("push", payload, None)
    assert message in str(err.value) and str(err.value).startswith("GitHub push payload")

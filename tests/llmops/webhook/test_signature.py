"""GitHub HMAC signatures and GitLab tokens: exact match only."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from pydantic import SecretStr

from llmops.webhook.signature import github_signature, github_signature_ok, gitlab_token_ok

SECRET = SecretStr("It's a Secret to Everybody")
BODY = b"Hello, World!"


def test_matches_githubs_documented_example() -> None:
    # https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert github_signature(SECRET, BODY) == expected
    digest = hmac.new(b"It's a Secret to Everybody", BODY, hashlib.sha256).hexdigest()
    assert expected == "sha256=" + digest


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        (github_signature(SECRET, BODY), True),
        (None, False),
        ("", False),
        (github_signature(SECRET, BODY + b" "), False),
        (github_signature(SecretStr("other"), BODY), False),
        (github_signature(SECRET, BODY).removeprefix("sha256="), False),
        ("sha1=" + hmac.new(b"x", BODY, hashlib.sha1).hexdigest(), False),
        ("sha256=é", False),
    ],
)
def test_github_signature_ok(header: str | None, ok: bool) -> None:
    assert github_signature_ok(SECRET, BODY, header) is ok


@pytest.mark.parametrize(
    ("header", "ok"), [("tok", True), ("tok ", False), ("TOK", False), ("", False), (None, False)]
)
def test_gitlab_token_ok(header: str | None, ok: bool) -> None:
    assert gitlab_token_ok(SecretStr("tok"), header) is ok

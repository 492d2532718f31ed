"""Constant-time checks of GitHub's HMAC signature and GitLab's secret token."""

from __future__ import annotations

import hashlib
import hmac

from pydantic import SecretStr

GITHUB_PREFIX = "sha256="


def github_signature(secret: SecretStr, body: bytes) -> str:
    """The `X-Hub-Signature-256` value GitHub sends for `body`."""
    key = secret.get_secret_value().encode()
    return GITHUB_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def github_signature_ok(secret: SecretStr, body: bytes, header: str | None) -> bool:
    """True when `header` is the HMAC-SHA256 of the raw body with the secret."""
    if not header:
        return False
    expected = github_signature(secret, body).encode()
    return hmac.compare_digest(expected, header.strip().encode("utf-8", "replace"))


def gitlab_token_ok(token: SecretStr, header: str | None) -> bool:
    """True when `header` equals the configured token (compared in constant time)."""
    if not header:
        return False
    expected = token.get_secret_value().encode()
    return hmac.compare_digest(expected, header.encode("utf-8", "replace"))

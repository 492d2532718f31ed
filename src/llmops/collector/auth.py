"""Credentials: `Authorization: Bearer <token>` or Langfuse's basic auth (public key as user,
secret key as password), compared in constant time."""

from __future__ import annotations

import base64
import binascii
import hmac

from llmops.collector.errors import Refused
from llmops.core.settings import Settings

CHALLENGE = 'Bearer realm="llmops", Basic realm="llmops"'


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def tokens(settings: Settings, feedback: bool = False) -> list[str]:
    """Bearer tokens a route accepts (the collector's; /feedback also the feedback token)."""
    out = []
    if settings.collector.token:
        out.append(settings.collector.token.get_secret_value())
    if feedback and settings.feedback.token:
        out.append(settings.feedback.token.get_secret_value())
    return [t for t in out if t]


def key_pair(settings: Settings) -> tuple[str, str] | None:
    cfg = settings.collector
    if cfg.langfuse_public_key and cfg.langfuse_secret_key:
        return cfg.langfuse_public_key, cfg.langfuse_secret_key.get_secret_value()
    return None


def check(header: str | None, bearer: list[str], pair: tuple[str, str] | None) -> None:
    """Refused(401) unless the header carries an accepted credential."""
    if not bearer and pair is None:
        raise Refused(
            401,
            "no credentials are configured: set LLMOPS_COLLECTOR__TOKEN (bearer) or "
            "LLMOPS_COLLECTOR__LANGFUSE_PUBLIC_KEY and LLMOPS_COLLECTOR__LANGFUSE_SECRET_KEY",
            "auth",
        )
    scheme, _, value = (header or "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        # every token is compared, so the time taken does not say which one nearly matched
        if any([_same(value, t) for t in bearer]):
            return
    elif scheme.lower() == "basic" and value and pair is not None:
        try:
            user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user, sep, password = "", "", ""
        if sep and _same(user, pair[0]) & _same(password, pair[1]):
            return
    raise Refused(401, "missing or wrong credentials (Bearer token or Langfuse key pair)", "auth")

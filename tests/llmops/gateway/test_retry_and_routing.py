"""Pure parts of the gateway: which errors retry, how long to wait, where an alias routes."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from llmops.core.errors import ConfigError
from llmops.core.settings import get_settings
from llmops.core.settings.gateway import ModelAlias
from llmops.gateway.retry import backoff_s, classify, retry_after_s
from llmops.gateway.routing import route


def litellm_error(name: str, status: int, headers: dict[str, str] | None = None) -> Exception:
    """A litellm exception as litellm raises it for an HTTP status."""
    import litellm

    response = httpx.Response(
        status, headers=headers or {}, request=httpx.Request("POST", "http://x")
    )
    cls = getattr(litellm, name)
    if name == "Timeout":
        return cls(message="m", model="m", llm_provider="openai")
    if name == "APIConnectionError":
        return cls(message="m", llm_provider="openai", model="m", request=response.request)
    err = cls(message="m", llm_provider="openai", model="m", response=response)
    err.litellm_response_headers = response.headers
    return err


@pytest.mark.parametrize(
    ("name", "status", "verdict"),
    [
        ("RateLimitError", 429, "retry"),
        ("InternalServerError", 500, "retry"),
        ("ServiceUnavailableError", 503, "retry"),
        ("BadGatewayError", 502, "retry"),
        ("Timeout", 408, "retry"),
        ("APIConnectionError", 500, "retry"),
        ("BadRequestError", 400, "fatal"),
        ("UnprocessableEntityError", 422, "fatal"),
        ("ContextWindowExceededError", 400, "fatal"),
        ("AuthenticationError", 401, "next_alias"),
        ("PermissionDeniedError", 403, "next_alias"),
        ("NotFoundError", 404, "next_alias"),
    ],
)
def test_classify_litellm_errors(name: str, status: int, verdict: str) -> None:
    assert classify(litellm_error(name, status)) == verdict


@pytest.mark.parametrize(
    ("exc", "verdict"),
    [
        (TimeoutError(), "retry"),
        (ConnectionResetError(), "retry"),
        (httpx.ConnectError("refused"), "retry"),
        (ValueError("bug"), "fatal"),
        (TypeError("bug"), "fatal"),
    ],
)
def test_classify_other_errors(exc: Exception, verdict: str) -> None:
    assert classify(exc) == verdict


def test_retry_after_headers_are_read_and_honoured() -> None:
    ms = litellm_error("RateLimitError", 429, {"retry-after": "3", "retry-after-ms": "1500"})
    assert retry_after_s(ms) == 1.5
    assert retry_after_s(litellm_error("RateLimitError", 429, {"retry-after": "2"})) == 2.0
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    dated = retry_after_s(litellm_error("RateLimitError", 429, {"retry-after": when}))
    assert dated is not None and 25 < dated <= 30
    assert retry_after_s(litellm_error("RateLimitError", 429, {"retry-after": "soon"})) is None
    assert retry_after_s(litellm_error("InternalServerError", 500)) is None

    rng = random.Random(1)
    asked = litellm_error("RateLimitError", 429, {"retry-after": "2"})
    waits = [backoff_s(n, asked, 0.01, 0.05, 60, rng) for n in range(1, 6)]
    assert all(w == 2.0 for w in waits)  # never shorter than the provider asked
    capped = backoff_s(
        1, litellm_error("RateLimitError", 429, {"retry-after": "999"}), 0.01, 0.05, 60, rng
    )
    assert capped == 60


def test_backoff_is_full_jitter_under_an_exponential_ceiling() -> None:
    rng = random.Random(7)
    for n in range(1, 10):
        ceiling = min(4.0, 0.5 * 2 ** (n - 1))
        waits = [backoff_s(n, None, 0.5, 4.0, 60, rng) for _ in range(200)]
        assert all(0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling * 0.8 and min(waits) < ceiling * 0.2  # spread, not fixed


def test_default_aliases_route_to_the_simulator(home: Any) -> None:
    models = get_settings().models
    assert set(models) >= {"candidate", "judge", "embedder"}
    assert all(a.uses_simulator for a in models.values())
    r = route("candidate", models["candidate"], "http://127.0.0.1:9")
    assert (r.model, r.api_base, r.provider, r.simulated) == (
        "openai/gpt-4o-mini",
        "http://127.0.0.1:9/v1",
        "simulator",
        True,
    )
    assert r.price_key == ("openai", "gpt-4o-mini")
    assert models["embedder"].kind == "embedding"


def test_a_configured_real_provider_leaves_the_other_aliases_alone(
    home: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMOPS_MODELS__CANDIDATE__MODEL", "openai/gpt-4o-mini")
    monkeypatch.setenv("LLMOPS_MODELS__JUDGE__TIMEOUT_S", "7")
    models = get_settings().models
    cand = models["candidate"]
    assert not cand.uses_simulator and cand.kind == "chat"
    assert models["judge"].uses_simulator and models["judge"].timeout_s == 7
    assert models["judge"].params == {"temperature": 0}  # the rest of the default is kept
    r = route("candidate", cand, None)
    assert (r.model, r.api_base, r.api_key, r.provider, r.simulated) == (
        "openai/gpt-4o-mini",
        None,
        None,  # litellm reads OPENAI_API_KEY itself
        "openai",
        False,
    )
    assert r.price_key == (None, "openai/gpt-4o-mini")


def test_api_keys_come_from_the_named_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    alias = ModelAlias(model="anthropic/claude-haiku-4-5", api_key_env="MY_TEAM_KEY")
    with pytest.raises(ConfigError, match="models.fast.api_key_env: .*MY_TEAM_KEY is not set"):
        route("fast", alias, None)
    monkeypatch.setenv("MY_TEAM_KEY", "sk-test")
    r = route("fast", alias, None)
    assert r.api_key == "sk-test" and r.provider == "anthropic"
    local = route("local", ModelAlias(model="llama3", api_base="http://gpu:8000/v1"), None)
    assert local.model == "openai/llama3" and not local.simulated
    pinned = route("p", ModelAlias(model="gpt-4o", provider="azure", api_key="k"), None)
    assert pinned.model == "azure/gpt-4o" and pinned.price_key == ("azure", "gpt-4o")

"""Prices: the fast read of litellm's bundled map agrees with litellm itself; unknowns stay unpriced."""

from __future__ import annotations

import pytest

from llmops.costs.pricing import PriceBook, litellm_lookup, litellm_price, load_overrides

MODELS = [
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-4o-mini-2024-07-18"),
    (None, "gpt-4o"),
    ("anthropic", "claude-haiku-4-5"),
    (None, "claude-haiku-4-5"),
    (None, "gpt-3.5-turbo"),
    ("azure", "gpt-4o"),
    ("vertex_ai", "gemini-2.5-pro"),  # map entry filed under vertex_ai-language-models
    ("bedrock", "anthropic.claude-sonnet-4-5-20250929-v1:0"),  # ... under bedrock_converse
]


@pytest.mark.parametrize(("provider", "model"), MODELS)
def test_fast_path_matches_litellm(provider: str | None, model: str) -> None:
    fast_provider, fast = litellm_price(provider, model)
    slow_provider, slow = litellm_lookup(provider, model)
    assert fast_provider == slow_provider
    assert fast is not None and slow is not None
    assert (fast.input, fast.output, fast.cached_input, fast.cache_write) == (
        slow.input,
        slow.output,
        slow.cached_input,
        slow.cache_write,
    )
    assert (fast.model, fast.provider) == (slow.model, slow.provider) == (model, fast_provider)


@pytest.mark.parametrize(
    ("provider", "model"),
    [("ollama", "llama3.1:8b"), (None, "claude-3-5-haiku-20241022"), (None, "my-finetune")],
)
def test_unmapped_models_are_unpriced_not_free(provider: str | None, model: str) -> None:
    assert litellm_price(provider, model)[1] is None


def test_served_snapshot_price_wins_and_overrides_win_over_map(tmp_path) -> None:
    book = PriceBook()
    res = book.resolve(None, "openai/gpt-4o", None)
    assert (res.provider, res.model) == ("openai", "gpt-4o")
    res = book.resolve("OpenAI", "gpt-4o", "gpt-4o-2024-08-06")
    assert res.provider == "openai" and res.price is not None
    assert res.price.key == "gpt-4o-2024-08-06" and res.price.model == "gpt-4o-2024-08-06"
    path = tmp_path / "p.yaml"
    path.write_text("models:\n  openai/gpt-4o: {input_per_million: 1, output_per_million: 2}\n")
    res = PriceBook(load_overrides(path)).resolve("openai", "gpt-4o", "gpt-4o-2024-08-06")
    assert res.price is not None and res.price.source == "override" and res.price.input == 1e-6
    # overrides are keyed by litellm's provider name, whatever spelling the log used
    res = PriceBook(load_overrides(path)).resolve("OPENAI", "gpt-4o", None)
    assert res.price is not None and res.price.source == "override"

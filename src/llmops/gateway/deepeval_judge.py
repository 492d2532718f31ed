"""deepeval's judge model class over the gateway (one class for eval metrics and the audit judge)."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from llmops.gateway.client import JUDGE, LLMClient


@functools.cache
def gateway_model_class() -> type:
    """The DeepEvalBaseLLM subclass (built lazily: deepeval is imported on first use)."""
    from deepeval.metrics.utils import trimAndLoadJson
    from deepeval.models import DeepEvalBaseLLM
    from pydantic import ValidationError

    class GatewayJudge(DeepEvalBaseLLM):
        """deepeval's judge: chat completions through the gateway's `judge` alias."""

        def __init__(self, llm: LLMClient, alias: str = JUDGE) -> None:
            self.llm = llm
            self.alias = alias
            super().__init__(alias)

        def load_model(self) -> Any:
            return self.llm

        def get_model_name(self) -> str:
            return f"{self.alias} (llmops gateway)"

        def supports_log_probs(self) -> bool:
            return False

        def supports_structured_outputs(self) -> bool:
            return True

        def supports_json_mode(self) -> bool:
            return True

        async def a_generate(self, prompt: str, schema: type | None = None, **kwargs: Any) -> Any:
            """Text, or an instance of `schema` (response_format json_schema, then parsed)."""
            if not isinstance(prompt, str) or kwargs.get("audio"):
                raise TypeError("the gateway judge takes text prompts only")
            extra: dict[str, Any] = {}
            if schema is not None:
                extra["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {
                        "name": schema.__name__,
                        "schema": schema.model_json_schema(),
                        "strict": False,
                    },
                }
            messages = [{"role": "user", "content": prompt}]
            response = await self.llm.acompletion(self.alias, messages, **extra)
            text = response.choices[0].message.content or ""
            if schema is None:
                return text
            try:
                return schema.model_validate_json(text)
            except ValidationError:  # fenced or chatty JSON: deepeval's own lenient parser
                return schema.model_validate(trimAndLoadJson(text))

        def generate(self, prompt: str, schema: type | None = None, **kwargs: Any) -> Any:
            """Sync form for deepeval code paths that need it (no event loop may be running)."""
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return asyncio.run(self.a_generate(prompt, schema, **kwargs))
            raise RuntimeError("GatewayJudge.generate called inside an event loop: use a_generate")

    return GatewayJudge

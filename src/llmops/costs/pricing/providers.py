"""Provider names as logs spell them -> litellm's provider names (`litellm.provider_list`).

Producers name the provider in their own vocabulary: OpenTelemetry GenAI semantic conventions
(`gen_ai.provider.name`, and the deprecated `gen_ai.system` with its older values), OpenLLMetry
and OpenLIT (mostly those values, some of their own), Helicone (upper case: `OPENAI`, `AWS`, `X`),
LangSmith's `ls_provider` and OpenInference's `llm.provider` / `llm.system`. litellm names them its
own way (`bedrock`, `azure`, `vertex_ai`, `mistral`, `xai`, ...), and a call is only priced when
the provider is litellm's name for it. Names here are compared lower-cased and trimmed; a name no
table knows is kept (lower-cased), so litellm's own names pass through unchanged.
"""

from __future__ import annotations

import re

# Well-known values of gen_ai.provider.name (semconv 1.37+) and gen_ai.system (before it).
OTEL_GENAI: dict[str, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "aws.bedrock": "bedrock",
    "azure.ai.openai": "azure",
    "az.ai.openai": "azure",
    "azure.ai.inference": "azure_ai",
    "az.ai.inference": "azure_ai",
    "gcp.vertex_ai": "vertex_ai",
    "vertex_ai": "vertex_ai",
    "gcp.gemini": "gemini",
    "gemini": "gemini",
    # "Any Google generative AI endpoint" (the google-genai SDK when it cannot tell): its default
    # backend is the Gemini Developer API; Vertex AI instrumentations say gcp.vertex_ai.
    "gcp.gen_ai": "gemini",
    "cohere": "cohere",
    "ibm.watsonx.ai": "watsonx",
    "perplexity": "perplexity",
    "x_ai": "xai",
    "xai": "xai",
    "deepseek": "deepseek",
    "groq": "groq",
    "mistral_ai": "mistral",
}

# Values other producers log (OpenLLMetry, OpenLIT, Helicone, LangSmith, OpenInference, display
# names), keyed in the squashed form (lower case, runs of space/-/. as one underscore).
PRODUCER_ALIASES: dict[str, str] = {
    # OpenLLMetry (GenAISystem) and its older capitalised names
    "mistralai": "mistral",
    "hugging_face": "huggingface",
    "fireworks": "fireworks_ai",
    "together": "together_ai",
    "aws": "bedrock",
    "google": "gemini",
    "ibm_watsonx_ai": "watsonx",
    # OpenLIT
    "ibm_watson_ai": "watsonx",
    "oci_genai": "oci",
    "rekaai": "reka",
    # Helicone (ProviderName)
    "bedrock": "bedrock",
    "x": "xai",
    "llama": "meta_llama",
    "nvidia": "nvidia_nim",
    "vercel": "vercel_ai_gateway",
    # LangSmith ls_provider / LangChain
    "google_vertexai": "vertex_ai",
    "google_genai": "gemini",
    "google_anthropic_vertex": "vertex_ai",
    "bedrock_converse": "bedrock",
    "amazon_bedrock": "bedrock",
    "azure_openai": "azure",
    "azure_ai_openai": "azure",
    # OpenInference llm.system
    "vertexai": "vertex_ai",
    # display names
    "aws_bedrock": "bedrock",
    "google_vertex_ai": "vertex_ai",
    "google_ai_studio": "gemini",
    "mistral_ai": "mistral",
    "together_ai": "together_ai",
    "fireworks_ai": "fireworks_ai",
    "x_ai": "xai",
    "ibm_watsonx": "watsonx",
}

# Names that say which tool logged the call, not who served it: the model name decides.
NOT_A_PROVIDER = frozenset(
    {"", "litellm", "helicone", "local", "langchain", "llama_index", "haystack", "crewai"}
)

_SQUASH = re.compile(r"[\s.\-]+")


def normalize_provider(name: str | None) -> str | None:
    """litellm's provider name for a provider as logged; None when unknown or not a provider.

    `OpenAI`, `OPENAI` -> `openai`; `aws.bedrock`, `AWS` -> `bedrock`; `gcp.vertex_ai` ->
    `vertex_ai`; `azure.ai.openai`, `az.ai.openai` -> `azure`; `x_ai`, `X` -> `xai`; names litellm
    already uses come back lower-cased.
    """
    if name is None:
        return None
    key = name.strip().lower()
    squashed = _SQUASH.sub("_", key).strip("_")
    for form in (key, squashed):
        if form in OTEL_GENAI:
            return OTEL_GENAI[form]
        if form in PRODUCER_ALIASES:
            return PRODUCER_ALIASES[form]
    if squashed in NOT_A_PROVIDER:
        return None
    return key


def dispatch_provider(map_provider: str | None) -> str | None:
    """The provider litellm routes a price-map entry's `litellm_provider` to.

    The map files some entries under sub-providers litellm never dispatches on:
    `vertex_ai-language-models` (and every other `vertex_ai-*`) is `vertex_ai`,
    `bedrock_converse` is `bedrock`, `fireworks_ai-embedding-models` is `fireworks_ai`.
    """
    if map_provider is None:
        return None
    if map_provider.startswith("vertex_ai-"):
        return "vertex_ai"
    if map_provider == "bedrock_converse":
        return "bedrock"
    if map_provider.startswith("fireworks_ai-"):
        return "fireworks_ai"
    return map_provider

"""Per-format field mappings: each log format maps its JSON paths onto the llm_calls fields.

A mapping is a function that receives a `Paths` registry and returns, for each raw field of the
canonical record, a DuckDB SQL expression over the extracted strings. All paths of a format are
extracted in one `json_extract_string(line, [...])` call, so each record is parsed once. One module
per format holds its mapping (and, where the format has them, its document shapes).
"""

from __future__ import annotations

from collections.abc import Callable

from llmops.ingest.formats import (
    generic,
    helicone,
    langfuse,
    litellm,
    litellm_spend_logs,
    openai_batch,
    otel,
)
from llmops.ingest.formats.paths import RAW_FIELDS, Paths

__all__ = ["DETECTION_ORDER", "FORMATS", "MAPPINGS", "RAW_FIELDS", "Paths", "source_field"]

FORMATS = (
    "litellm",
    "litellm-spend-logs",
    "otel",
    "langfuse",
    "openai-batch",
    "helicone",
    "generic",
)

# Most specific first: a Langfuse body or an OTel span may also carry generic-looking keys.
DETECTION_ORDER = (
    ("langfuse", langfuse),
    ("otel", otel),
    ("openai-batch", openai_batch),
    ("helicone", helicone),
    ("litellm-spend-logs", litellm_spend_logs),
    ("litellm", litellm),
    ("generic", generic),
)

MAPPINGS: dict[str, Callable[[Paths], dict[str, str]]] = {
    "litellm": litellm.mapping,
    "litellm-spend-logs": litellm_spend_logs.mapping,
    "otel": otel.mapping,
    "langfuse": langfuse.mapping,
    "openai-batch": openai_batch.mapping,
    "helicone": helicone.mapping,
    "generic": generic.mapping,
}


# For error messages: the source field a canonical field is read from (first path, readable).
def source_field(fmt: str, field: str) -> str:
    """The owner's name of the field a canonical field comes from, for error messages."""
    paths = Paths()
    expr = MAPPINGS[fmt](paths).get(field, "")
    for i, path in enumerate(paths.paths, start=1):
        if f"v[{i}]" in expr:
            return path.removeprefix("$.").replace('"', "")
    return field

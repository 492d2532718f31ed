"""The fixed canary prompts: small, answerable, stable at temperature 0."""

from __future__ import annotations

import hashlib
import json
from typing import Any

CANARIES: tuple[tuple[dict[str, Any], ...], ...] = (
    (
        {"role": "system", "content": "Answer using only the context. Reply with one sentence."},
        {
            "role": "user",
            "content": "Context:\nThe Velmora bridge opened in 1887. It spans the Tarn river. "
            "Its towers are built of red sandstone. The bridge carries two tram lines.\n\n"
            "Question: What are the towers of the Velmora bridge built of?",
        },
    ),
    (
        {"role": "system", "content": "Answer using only the context. Reply with one sentence."},
        {
            "role": "user",
            "content": "Context:\nOrsk harbour freezes every January. Ferries then stop for six "
            "weeks. The harbour master keeps a daily ice log. Fishing resumes in March.\n\n"
            "Question: How long do the ferries stop when Orsk harbour freezes?",
        },
    ),
    (
        {
            "role": "user",
            "content": "Context:\nA kelvin is the SI unit of temperature. Water boils at "
            "373.15 kelvin at sea level. Absolute zero is 0 kelvin.\n\n"
            "Question: At what temperature in kelvin does water boil at sea level?",
        },
    ),
    ({"role": "user", "content": "What is 17 multiplied by 23? Reply with the number only."},),
)
MAX_TOKENS = 64


def canary_set_hash(canaries: tuple[tuple[dict[str, Any], ...], ...] = CANARIES) -> str:
    """Hash of the canary prompts and call parameters: a new set starts a new baseline."""
    text = json.dumps([list(c) for c in canaries], sort_keys=True) + f"|max_tokens={MAX_TOKENS}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]

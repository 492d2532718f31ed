"""Simulator servers on loopback, one per configuration per module, and synthetic QA items."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from llmops.simulators.provider import SimulatorConfig
from llmops.simulators.provider.server import run_in_thread

CITIES = [
    ("Arvale", "Lumen River", "glass", "1821"),
    ("Brenmoor", "Corvin Lake", "wool", "1754"),
    ("Caldris", "Ostra Bay", "copper", "1903"),
    ("Dunhallow", "Pike Hills", "timber", "1688"),
    ("Eskerfield", "Marrow Fen", "salt", "1799"),
]


def qa_items() -> list[dict[str, str]]:
    """20 synthetic (context, question, reference) items; the reference is one context sentence."""
    items = []
    for city, water, good, year in CITIES:
        facts = {
            "water": f"{city} lies on the shore of the {water}.",
            "good": f"The main export of {city} is {good}.",
            "year": f"{city} received its town charter in {year}.",
            "mayor": f"The mayor of {city} is elected every four years.",
        }
        context = " ".join(facts.values())
        questions = {
            "water": f"On which body of water does {city} lie?",
            "good": f"What is the main export of {city}?",
            "year": f"When did {city} receive its town charter?",
            "mayor": f"How often is the mayor of {city} elected?",
        }
        for key, question in questions.items():
            items.append({"context": context, "question": question, "reference": facts[key]})
    return items


def rag_messages(context: str, question: str) -> list[dict[str, str]]:
    """A typical RAG prompt."""
    return [
        {"role": "system", "content": "Answer using only the context."},
        {"role": "user", "content": f"Context:\n{context}\n\nQuestion: {question}"},
    ]


@pytest.fixture(scope="module")
def sim_factory() -> Iterator[Callable[..., str]]:
    """Start simulators with given settings; all are stopped at the end of the module."""
    stops: list[Callable[[], None]] = []

    def start(**kwargs: object) -> str:
        url, stop = run_in_thread(SimulatorConfig(**kwargs))
        stops.append(stop)
        return url

    yield start
    for stop in stops:
        stop()


@pytest.fixture(scope="module")
def sim_url(sim_factory: Callable[..., str]) -> str:
    """A fault-free version-1 simulator."""
    return sim_factory()

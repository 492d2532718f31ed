"""The gateway's litellm-compatible acompletion can be handed to instructor (as ragas does)."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel

from llmops.gateway import Gateway
from tests.builders.simulator import SimulatorHandle


class Verdict(BaseModel):
    """A judge's structured answer."""

    score: float
    reason: str


def test_instructor_structured_output_through_the_gateway(
    simulator: SimulatorHandle, home: object
) -> None:
    import instructor

    gw = Gateway(purpose="judge-test")
    client = instructor.from_litellm(gw.acompletion, mode=instructor.Mode.JSON)
    messages = [
        {"role": "user", "content": "Context: The sky is blue.\nAnswer: The sky is blue.\nRate it."}
    ]
    verdict = asyncio.run(
        client.chat.completions.create(model="judge", messages=messages, response_model=Verdict)
    )
    assert isinstance(verdict, Verdict) and 0 <= verdict.score <= 1
    rec = gw.records[-1]
    assert rec.ok and rec.alias == "judge" and rec.purpose == "judge-test" and rec.simulated

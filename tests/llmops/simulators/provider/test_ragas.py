"""ragas' LLM faithfulness metric runs end to end on the simulator in judge mode."""

from __future__ import annotations

import asyncio


def test_ragas_faithfulness_scores_grounded_above_unsupported(sim_url: str) -> None:
    import instructor
    import litellm
    from ragas.llms import llm_factory
    from ragas.metrics.collections import Faithfulness

    client = instructor.from_litellm(litellm.acompletion, mode=instructor.Mode.JSON)
    llm = llm_factory(
        "openai/gpt-4o-mini",
        client=client,
        adapter="litellm",
        api_base=f"{sim_url}/v1",
        api_key="s",
    )
    metric = Faithfulness(llm=llm)
    context = "Paris is the capital of France. Berlin is the capital of Germany."

    async def score(response: str) -> float:
        result = await metric.ascore(
            user_input="What is the capital of Germany?",
            response=response,
            retrieved_contexts=[context],
        )
        return float(result.value)

    grounded = asyncio.run(score("Berlin is the capital of Germany."))
    mixed = asyncio.run(
        score("Berlin is the capital of Germany. Madrid hosts a marathon festival.")
    )
    assert grounded == 1.0 and mixed == 0.5

"""litellm, the project's only LLM client, talks to the simulator as an OpenAI provider."""

from __future__ import annotations

from tests.builders.provider import qa_items, rag_messages


def test_litellm_completion_and_embedding_against_simulator(sim_url: str) -> None:
    import litellm

    item = qa_items()[0]
    resp = litellm.completion(
        model="openai/gpt-4o-mini",
        api_base=f"{sim_url}/v1",
        api_key="sim",
        messages=rag_messages(item["context"], item["question"]),
    )
    assert resp.choices[0].message.content == item["reference"]
    assert resp.model.endswith("-sim-v1") and resp.system_fingerprint.startswith("fp_sim_v1_")
    assert resp.usage.completion_tokens > 0
    emb = litellm.embedding(
        model="openai/text-embedding-3-small", api_base=f"{sim_url}/v1", api_key="sim", input=["a"]
    )
    assert len(emb.data[0]["embedding"]) == 256

"""PromptRegistry on a real MLflow sqlite registry: sync, aliases, promote, rollback, resolve."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from llmops.prompts import (
    CANDIDATE,
    CHAMPION,
    PromptError,
    PromptRegistry,
    content_hash,
    load_spec,
    render,
)
from tests.builders.prompts import BASE_PROMPT, WritePrompt, copy_repo_prompts


def changed_params(temperature: float) -> dict:
    return {**BASE_PROMPT["params"], "temperature": temperature}


def test_first_sync_registers_champion_with_tags_and_second_sync_nothing(
    registry: PromptRegistry, write_prompt: WritePrompt
) -> None:
    spec = load_spec(write_prompt())
    first = registry.sync(spec)
    assert (first.version, first.created, first.aliases) == (1, True, [CHAMPION])
    assert first.content_hash == content_hash(spec)
    # rebuilt from the registry's tags and template (only the private source path differs)
    assert first.spec.model_dump() == spec.model_dump() and first.spec.source is None
    assert first.git_commit is None  # a temp folder is no git repository
    pv = registry.client.get_prompt_version("qa", 1)
    assert pv.tags["content_hash"] == content_hash(spec)
    assert pv.tags["model"] == "candidate" and pv.tags["datasets"] == '["docs-qa"]'
    assert pv.tags["params"] == '{"max_tokens":64,"temperature":0.0}'

    again = registry.sync(load_spec(write_prompt()))
    assert (again.version, again.created) == (1, False)
    assert [p.version for p in registry.history("qa")] == [1]
    assert registry.champion_history("qa") == [1]


def test_changed_file_becomes_candidate_champion_stays(
    registry: PromptRegistry, write_prompt: WritePrompt
) -> None:
    v1 = registry.sync(load_spec(write_prompt()))
    v2 = registry.sync(load_spec(write_prompt(params=changed_params(0.7))))
    assert (v2.version, v2.created, v2.aliases) == (2, True, [CANDIDATE])
    assert v2.content_hash != v1.content_hash
    assert registry.resolve("qa").version == 1
    assert registry.resolve("qa", "candidate").content_hash == v2.content_hash
    summary = registry.list()[0]
    assert (summary.name, summary.versions, summary.champion, summary.candidate) == ("qa", 2, 1, 2)


def test_metadata_only_change_updates_tags_without_a_new_version(
    registry: PromptRegistry, write_prompt: WritePrompt
) -> None:
    registry.sync(load_spec(write_prompt()))
    updated = registry.sync(load_spec(write_prompt(datasets=["docs-qa", "other"])))
    assert (updated.version, updated.created) == (1, False)
    assert updated.spec.datasets == ["docs-qa", "other"]


def test_resolve_by_version_hash_prefix_and_errors(
    registry: PromptRegistry, write_prompt: WritePrompt
) -> None:
    v1 = registry.sync(load_spec(write_prompt()))
    v2 = registry.sync(load_spec(write_prompt(params=changed_params(0.7))))
    assert registry.resolve("qa", "2").content_hash == v2.content_hash
    assert registry.resolve("qa", 1).content_hash == v1.content_hash
    assert registry.resolve("qa", "v2").version == 2
    assert registry.resolve("qa", v1.content_hash[:6]).version == 1
    with pytest.raises(PromptError, match=r"'zz' is no alias, version or content-hash prefix"):
        registry.resolve("qa", "zz")
    with pytest.raises(PromptError, match="has no version 9"):
        registry.resolve("qa", "v9")
    with pytest.raises(PromptError, match=r"'9' is no alias, version or content-hash prefix"):
        registry.resolve("qa", "9")
    with pytest.raises(PromptError, match=r"'nope' is not registered .*llmops prompts sync"):
        registry.resolve("nope")


def test_an_older_version_renders_as_registered(
    registry: PromptRegistry, write_prompt: WritePrompt
) -> None:
    registry.sync(load_spec(write_prompt()))
    new_messages = [
        BASE_PROMPT["messages"][0],
        {"role": "user", "content": "Please answer. Question: {{ question }}"},
    ]
    registry.sync(load_spec(write_prompt(messages=new_messages)))
    values = {"contexts": ["A doc."], "question": "Why?"}
    assert render(registry.resolve("qa", "1").spec, values)[1]["content"] == "Question: Why?"
    assert render(registry.resolve("qa", CANDIDATE).spec, values)[1]["content"].startswith(
        "Please answer."
    )


def test_promote_moves_champion_and_clears_candidate(
    registry: PromptRegistry, write_prompt: WritePrompt
) -> None:
    registry.sync(load_spec(write_prompt()))
    v2 = registry.sync(load_spec(write_prompt(params=changed_params(0.7))))
    old, new = registry.promote("qa")
    assert old is not None and (old.version, new.version) == (1, 2)
    assert new.aliases == [CHAMPION] and old.aliases == []
    assert registry.resolve("qa").content_hash == v2.content_hash
    with pytest.raises(PromptError, match=r"alias, version or content-hash"):
        registry.resolve("qa", CANDIDATE)
    assert registry.champion_history("qa") == [1, 2]
    with pytest.raises(PromptError, match="has no candidate to promote"):
        registry.promote("qa")
    same_old, same_new = registry.promote("qa", 2)  # already champion: nothing moves
    assert same_old is not None and same_old.version == same_new.version == 2
    assert registry.champion_history("qa") == [1, 2]


def test_promote_an_explicit_version_keeps_another_candidate(
    registry: PromptRegistry, write_prompt: WritePrompt
) -> None:
    registry.sync(load_spec(write_prompt()))
    registry.sync(load_spec(write_prompt(params=changed_params(0.5))))
    registry.sync(load_spec(write_prompt(params=changed_params(0.9))))  # candidate moves to v3
    old, new = registry.promote("qa", 2)
    assert old is not None and (old.version, new.version) == (1, 2)
    assert registry.resolve("qa", CANDIDATE).version == 3


def test_rollback_restores_the_previous_prompt(
    registry: PromptRegistry, write_prompt: WritePrompt
) -> None:
    v1 = registry.sync(load_spec(write_prompt()))
    registry.sync(load_spec(write_prompt(params=changed_params(0.5))))
    registry.promote("qa")
    registry.sync(load_spec(write_prompt(params=changed_params(0.9))))
    registry.promote("qa")
    assert registry.champion_history("qa") == [1, 2, 3]

    old, restored = registry.rollback("qa")
    assert (old.version, restored.version) == (3, 2)
    old, restored = registry.rollback("qa")
    assert (old.version, restored.version) == (2, 1)
    assert registry.resolve("qa").content_hash == v1.content_hash
    assert registry.resolve("qa").spec.params == BASE_PROMPT["params"]
    assert registry.champion_history("qa") == [1]
    with pytest.raises(PromptError, match="no previous champion to roll back to"):
        registry.rollback("qa")


def test_rollback_without_history_errors(
    registry: PromptRegistry, write_prompt: WritePrompt
) -> None:
    registry.sync(load_spec(write_prompt()))
    with pytest.raises(PromptError, match=r"'qa': no previous champion .*v1 is the only"):
        registry.rollback("qa")
    with pytest.raises(PromptError, match="not registered"):
        registry.rollback("other")


def test_history_survives_a_new_client_on_the_same_uri(
    registry: PromptRegistry, write_prompt: WritePrompt
) -> None:
    registry.sync(load_spec(write_prompt()))
    registry.sync(load_spec(write_prompt(params=changed_params(0.5))))
    registry.promote("qa")
    fresh = PromptRegistry(registry.settings)  # state lives in the registry, not in the object
    old, restored = fresh.rollback("qa")
    assert (old.version, restored.version) == (2, 1)


def test_sync_all_loads_every_file_first(
    registry: PromptRegistry, prompts_dir: Path, write_prompt: WritePrompt
) -> None:
    write_prompt("a-good")
    write_prompt("b-bad", model="Bad Alias")
    with pytest.raises(PromptError, match=r"b-bad\.yaml:3: field model"):
        registry.sync_all()
    assert registry.list() == []  # nothing registered when one file is bad
    (prompts_dir / "b-bad.yaml").unlink()
    synced = registry.sync_all()
    assert [(p.name, p.version, p.created) for p in synced] == [("a-good", 1, True)]
    assert [(p.name, p.created) for p in registry.sync_all(prompts_dir)] == [("a-good", False)]


def test_a_prompt_left_without_champion_gets_one_at_the_next_sync(
    registry: PromptRegistry, write_prompt: WritePrompt
) -> None:
    registry.sync(load_spec(write_prompt()))
    registry.client.delete_prompt_alias("qa", CHAMPION)  # as if a sync died before the alias
    again = registry.sync(load_spec(write_prompt()))
    assert (again.version, again.created, again.aliases) == (1, False, [CHAMPION])


def test_repo_prompts_round_trip_through_the_registry(
    registry: PromptRegistry, prompts_dir: Path
) -> None:
    copy_repo_prompts(prompts_dir)
    synced = {p.name: p for p in registry.sync_all()}
    assert {"docs-qa-answer", "docs-qa-json"} <= set(synced)
    for name in synced:
        from_file = load_spec(prompts_dir / f"{name}.yaml")
        resolved = registry.resolve(name)
        assert resolved.spec.model_dump() == from_file.model_dump()
        assert resolved.spec.call_params() == from_file.call_params()
    fmt = registry.resolve("docs-qa-json").spec.call_params()["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"]["required"] == [
        "answer",
        "sources",
    ]


@pytest.mark.parametrize(
    ("alias", "problem"),
    [
        ("nope", "alias 'nope' is not in settings.models"),
        ("embedder", "alias .embedder. is an embedding model, not a chat model"),
    ],
)
def test_model_must_be_a_configured_chat_alias(
    registry: PromptRegistry, write_prompt: WritePrompt, alias: str, problem: str
) -> None:
    path = write_prompt(model=alias)
    with pytest.raises(PromptError, match=rf"{re.escape(str(path))}:3: field model: {problem}"):
        registry.sync_all()
    assert registry.list() == []

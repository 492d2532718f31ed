"""Deterministic, grounded answers: context extraction, sentence ranking, tokens, embeddings.

Answer rule (documented, tested):
- context = text after a `Context:` marker in any system/user message (up to a `Question:` marker),
  else the longest message other than the last user message;
- question = text after `Question:` in the last user message, else that message minus the context;
- sentences of the context are ranked by the number of distinct content words (stopwords
  dropped, crude suffix stemming) shared with the question (ties: higher share of the
  sentence's own words, then earlier position);
- version 1 answers with the best sentence, verbatim;
- version >= 2 answers with the sentence ranked `version` (the 2nd best for v2, clamped to the
  last one) and appends the unsupported claim `UNSUPPORTED_CLAIM`, so token F1 against a
  reference and faithfulness both drop measurably.

Judge helpers (used by judge.py): `is_evasive` (a non-answer), `question_for` (the question an
answer addresses, built from its key terms), `correctness` (coverage of a reference, unsupported
and contradicting sentences). Embeddings hash stemmed content words and their character 3-grams
with non-negative weights, so cosine similarity lies in [0, 1] and grows with shared terms.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

UNSUPPORTED_CLAIM = "This has also been confirmed by several independent studies."
NO_CONTEXT_ANSWER = "I don't know based on the provided context."

_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_CONTEXT = re.compile(r"\bcontexts?\b\"?\s*:\s*", re.IGNORECASE)
_QUESTION = re.compile(r"\b(?:question|query|user_input)\b\"?\s*:\s*", re.IGNORECASE)
_STOP_TEXT = (
    "a an the is are was were be been of in on at to for and or but with by from as that this "
    "it its what which who whom when where why how do does did can could should would will "
    "i you he she we they me my your our their not no yes please answer question context "
    "based given following"
)
STOPWORDS = frozenset(_STOP_TEXT.split())


@dataclass(frozen=True)
class Prompt:
    """The parts of a chat request the simulator reasons about."""

    context: str
    question: str


def words(text: str) -> list[str]:
    """Lower-case alphanumeric tokens."""
    return _WORD.findall(text.lower())


def stem(word: str) -> str:
    """A crude suffix strip so `lies`/`lie` and `received`/`receive` match."""
    for suffix in ("ing", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    """Distinct stemmed words that carry meaning (no stopwords, no single letters)."""
    return {stem(w) for w in words(text) if len(w) > 1 and w not in STOPWORDS}


def message_text(content: Any) -> str:
    """Text of an OpenAI message content (a string or a list of parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") if isinstance(p, dict) else str(p) for p in content]
        return "\n".join(p for p in parts if p)
    return str(content)


def _after_marker(text: str) -> str | None:
    """Context after a `Context:` marker, up to a `Question:` marker if one follows."""
    match = _CONTEXT.search(text)
    if not match:
        return None
    rest = text[match.end() :]
    question = _QUESTION.search(rest)
    return (rest[: question.start()] if question else rest).strip()


def parse_prompt(messages: list[dict[str, Any]]) -> Prompt:
    """Split chat messages into the context to ground on and the question."""
    texts = [(m.get("role", "user"), message_text(m.get("content"))) for m in messages]
    user_idx = max((i for i, (r, _) in enumerate(texts) if r == "user"), default=len(texts) - 1)
    last_user = texts[user_idx][1] if texts else ""
    contexts = [c for r, t in texts if r in ("system", "user") and (c := _after_marker(t))]
    if contexts:
        context = "\n".join(contexts)
    else:
        others = [t for i, (r, t) in enumerate(texts) if i != user_idx and r != "assistant"]
        context = max(others, key=len, default="")
    q_match = _QUESTION.search(last_user)
    if q_match:
        question = last_user[q_match.end() :]
        c_match = _CONTEXT.search(question)
        question = question[: c_match.start()] if c_match else question
    else:
        question = last_user.replace(context, " ") if context else last_user
        c_match = _CONTEXT.search(question)
        question = question[: c_match.start()] if c_match else question
    return Prompt(context=context.strip(), question=question.strip())


def sentences(text: str) -> list[str]:
    """Sentences of a text, verbatim (each is a substring of the text)."""
    out: list[str] = []
    for line in text.splitlines():
        out.extend(s.strip() for s in _SENTENCE_END.split(line) if s.strip())
    return [s for s in out if content_words(s)]


def rank_sentences(context: str, question: str) -> list[str]:
    """Context sentences, best match for the question first."""
    q = content_words(question)
    items = sentences(context)

    def key(pair: tuple[int, str]) -> tuple[float, float, int]:
        pos, sent = pair
        s = content_words(sent)
        shared = len(q & s)
        return (-shared, -shared / max(len(s), 1), pos)

    return [s for _, s in sorted(enumerate(items), key=key)]


def grounded_answer(prompt: Prompt, version: int) -> str:
    """The extractive answer for a model version (see the module docstring for the rule)."""
    ranked = rank_sentences(prompt.context, prompt.question)
    if not ranked:
        return NO_CONTEXT_ANSWER
    if version <= 1:
        return ranked[0]
    return f"{ranked[min(version - 1, len(ranked) - 1)]} {UNSUPPORTED_CLAIM}"


def support(claim: str, context: str) -> float:
    """Share of the claim's content words found in the context (1.0 when the claim is empty)."""
    c = content_words(claim)
    return len(c & content_words(context)) / len(c) if c else 1.0


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD-style token F1 between two texts."""
    p, r = words(prediction), words(reference)
    common = sum(min(p.count(w), r.count(w)) for w in set(p) & set(r))
    if not common:
        return 0.0
    precision, recall = common / len(p), common / len(r)
    return 2 * precision * recall / (precision + recall)


@lru_cache(maxsize=4)
def _encoding(name: str) -> Any:
    """A tiktoken encoding (litellm's bundled files via TIKTOKEN_CACHE_DIR), or None offline."""
    try:
        import tiktoken

        return tiktoken.get_encoding(name)
    except Exception:  # noqa: BLE001 - no tokenizer files: fall back to ~4 chars per token
        return None


def _encoding_for(model: str) -> Any:
    """o200k for the gpt-4o / o-series family, cl100k otherwise."""
    name = "o200k_base" if re.search(r"gpt-4o|gpt-4\.1|gpt-5|\bo[134]", model) else "cl100k_base"
    return _encoding(name)


def encode(text: str, model: str) -> list[int] | None:
    """Token ids of a text, or None when no tokenizer is available."""
    enc = _encoding_for(model)
    return enc.encode(text, disallowed_special=()) if enc is not None else None


def split_tokens(text: str, model: str) -> list[str]:
    """The text as a list of token strings that concatenate back to it."""
    enc = _encoding_for(model)
    if enc is None:
        return re.findall(r"\S+\s*|\s+", text)
    return [enc.decode([t]) for t in enc.encode(text, disallowed_special=())]


def count_tokens(text: str, model: str) -> int:
    """Tokens in a text (tiktoken, else about one per four characters)."""
    ids = encode(text, model)
    return len(ids) if ids is not None else max(1, math.ceil(len(text) / 4)) if text else 0


def count_prompt_tokens(messages: list[dict[str, Any]], model: str) -> int:
    """OpenAI's chat accounting: 3 tokens per message, content tokens, 3 to prime the reply."""
    total = 3
    for m in messages:
        total += 3 + count_tokens(message_text(m.get("content")), model)
        if m.get("name"):
            total += 1
    return total


def truncate_tokens(text: str, max_tokens: int, model: str) -> str:
    """The first `max_tokens` tokens of a text."""
    return "".join(split_tokens(text, model)[:max_tokens])


def _features(text: str) -> dict[str, float]:
    """Hashed-embedding features: stemmed content words (1 + log tf) and their 3-grams (half)."""
    toks = [stem(w) for w in words(text) if len(w) > 1 and w not in STOPWORDS] or words(text)
    features: dict[str, float] = {}
    for tok, n in Counter(toks).items():
        weight = 1.0 + math.log(n)
        features[f"w:{tok}"] = features.get(f"w:{tok}", 0.0) + weight
        padded = f" {tok} "
        grams = [padded[i : i + 3] for i in range(len(padded) - 2)]
        for gram in grams:
            features[f"c:{gram}"] = features.get(f"c:{gram}", 0.0) + 0.5 * weight / len(grams)
    return features


def embed(text: str, dim: int) -> list[float]:
    """A unit vector of non-negative hashed features: texts sharing key terms are close.

    Stopwords are left out (unless the text has nothing else), so an unrelated text scores near
    0 and a question scores high against a question about the same terms.
    """
    vec = [0.0] * dim
    for feat, weight in _features(text).items():
        h = int.from_bytes(hashlib.blake2b(feat.encode(), digest_size=8).digest(), "little")
        vec[h % dim] += weight
    length = math.sqrt(sum(v * v for v in vec))
    if length == 0:
        vec[0] = 1.0
        return vec
    return [v / length for v in vec]


_EVASIVE = re.compile(
    r"\bi\s+(?:really\s+)?(?:do\s+not|don['’]?t)\s+know\b|\bi(?:['’]?m|\s+am)\s+not\s+sure\b"
    r"|\bit\s+depends\b|\bno\s+idea\b|\bas\s+an\s+ai\b"
    r"|\b(?:can\s*not|can['’]?t|unable\s+to|won['’]?t|not\s+able\s+to)\s+"
    r"(?:help|answer|say|tell|determine|find|provide|assist)\b"
    r"|\b(?:do|does)\s+not\s+(?:contain|mention|include|say|provide|specify)\s+"
    r"(?:the\s+|an\s+|any\s+)?(?:answer|information|details)\b"
    r"|\bno\s+(?:information|answer)\s+(?:about|on|for|in)\b",
    re.IGNORECASE,
)


def is_evasive(answer: str) -> bool:
    """A non-answer: its first sentence says it does not know, is not sure, or cannot answer."""
    first = sentences(answer)[:1] or [answer]
    return bool(_EVASIVE.search(first[0]))


_LINK_TARGET = re.compile(r"\]\([^)]*\)|https?://\S+")


def key_terms(text: str, limit: int = 12) -> list[str]:
    """Distinct content words in order of appearance (link targets and URLs left out)."""
    seen: set[str] = set()
    terms: list[str] = []
    for word in words(_LINK_TARGET.sub(" ", text)):
        root = stem(word)
        if len(word) < 2 or word in STOPWORDS or word.isdigit() or root in seen:
            continue
        seen.add(root)
        terms.append(word)
        if len(terms) == limit:
            break
    return terms


def question_for(answer: str) -> str:
    """The question an answer addresses, from its key terms (framed with stopwords only)."""
    terms = key_terms(answer)
    return f"What is the {' '.join(terms)}?" if terms else "What is it?"


_NEGATION = re.compile(r"\b(?:not|no|never|cannot|none|nor|without)\b|n['’]t\b", re.IGNORECASE)


def negated(text: str) -> bool:
    """True when a text has an odd number of negations."""
    return len(_NEGATION.findall(text)) % 2 == 1


def contradicts(sentence: str, reference: str) -> bool:
    """Its closest reference sentences (>= half the key terms each way) have flipped polarity."""
    matches = [
        (min(support(sentence, ref), support(ref, sentence)), negated(ref) != negated(sentence))
        for ref in sentences(reference)
    ]
    best = max((m for m, _ in matches), default=0.0)
    return best >= 0.5 and all(flipped for m, flipped in matches if m == best)


@dataclass(frozen=True)
class Correctness:
    """How an answer compares with a reference answer."""

    coverage: float  # share of the reference's key terms the answer states
    sentences: int
    unsupported: int  # answer sentences sharing < 20% of their key terms with reference + input
    contradicted: int  # answer sentences restating a reference sentence with flipped polarity
    missing: tuple[str, ...]  # reference key terms absent from the answer (first few)

    @property
    def value(self) -> float:
        """0-1: sqrt(coverage), down by half the unsupported share, <= 0.2 if contradicted."""
        score = math.sqrt(self.coverage) * (1 - 0.5 * self.unsupported / max(self.sentences, 1))
        return round(min(score, 0.2) if self.contradicted else score, 4)


def correctness(answer: str, reference: str, question: str = "") -> Correctness:
    """Compare an answer with a reference (and the question it answers), term by term."""
    parts = sentences(answer) or ([answer] if answer.strip() else [])
    known = f"{reference}\n{question}"
    answer_terms = content_words(answer)
    missing = [t for t in key_terms(reference, 1000) if stem(t) not in answer_terms]
    return Correctness(
        coverage=round(support(reference, answer), 4) if content_words(answer) else 0.0,
        sentences=len(parts),
        unsupported=sum(support(s, known) < 0.2 for s in parts),
        contradicted=sum(contradicts(s, reference) for s in parts),
        missing=tuple(missing[:5]),
    )

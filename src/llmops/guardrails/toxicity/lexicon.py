"""The toxicity lexicon: abusive-word categories counted over a whole column with polars."""

from __future__ import annotations

from functools import lru_cache

import polars as pl

from llmops.core.paths import package_path

LEXICON_VERSION = "toxicity-lexicon-v3"
TOXICITY_LABELS = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")
THRESHOLD = 0.5
COUNT_COLUMNS = ("n_obscene", "n_insult", "n_threat", "n_slur", "n_identity", "n_severe")

LEXICON_FILE = package_path("guardrails", "models", f"{LEXICON_VERSION}.yaml")


@lru_cache(maxsize=1)
def load_lexicon() -> dict[str, list[str]]:
    """Category -> stems, read once from the versioned YAML artefact."""
    import yaml

    data = yaml.safe_load(LEXICON_FILE.read_text())
    if data.get("version") != LEXICON_VERSION:
        raise ValueError(f"{LEXICON_FILE}: version {data.get('version')!r} != {LEXICON_VERSION}")
    return {k: [str(x) for x in v] for k, v in data["categories"].items()}


def _stem_regex(stems: list[str]) -> str:
    """One case-insensitive alternation with word boundaries.

    A trailing '*' allows any word ending; an inner '*' stands for one masking character
    (f*ck, f@ck), never for letters, so "feedback" is not "f*ck".
    """
    parts = []
    for stem in sorted(set(stems), key=len, reverse=True):
        last = len(stem) - 1
        body = "".join(
            (r"\w*" if i == last else r"[*@#$%!._\-]")  # inner '*': one masking character
            if ch == "*"
            else r"\s+"
            if ch == " "
            else _escape(ch)
            for i, ch in enumerate(stem)
        )
        tail = "" if stem.endswith("*") else r"\b"
        parts.append(body + tail)
    return r"(?i)\b(?:" + "|".join(parts) + ")"


def _escape(ch: str) -> str:
    """Regex-escape one literal character."""
    return "\\" + ch if ch in r".^$|?+()[]{}\\'" else ch


@lru_cache(maxsize=1)
def category_regexes() -> dict[str, str]:
    """Compiled-once regex per lexicon category."""
    lexicon = load_lexicon()
    return {
        k: _stem_regex(lexicon[k])
        for k in ("obscene", "insult", "threat", "slur", "identity", "severe")
    }


def score_lexicon(texts: pl.Series) -> pl.DataFrame:
    """Per-row lexicon hit counts, a 0-1 lexicon score, and the six Jigsaw-style labels."""
    text = texts.cast(pl.Utf8).fill_null("")
    rx = category_regexes()
    frame = pl.DataFrame({"text": text}).with_row_index("row")
    counts = frame.select(
        "row", **{f"n_{k}": pl.col("text").str.count_matches(v) for k, v in rx.items()}
    )
    # A slur is abusive and hateful by itself; neutral identity words (gay, muslim, immigrants)
    # are not, and count only when the text is also abusive.
    abusive = pl.col("n_obscene") + pl.col("n_insult") + pl.col("n_threat") + pl.col("n_slur")
    identity_in_abuse = (pl.col("n_identity") > 0) & (abusive > 0)
    identity_hate = (pl.col("n_slur") > 0) | identity_in_abuse
    hits = abusive + pl.when(identity_in_abuse).then(pl.col("n_identity")).otherwise(0)
    score = pl.when(hits == 0).then(0.0).otherwise(1.0 - 0.5 ** hits.cast(pl.Float64))
    return counts.with_columns(score=score).with_columns(
        toxic=pl.col("score") >= THRESHOLD,
        severe_toxic=(pl.col("n_severe") > 0) & (hits >= 3),
        obscene=pl.col("n_obscene") > 0,
        threat=pl.col("n_threat") > 0,
        insult=pl.col("n_insult") > 0,
        identity_hate=identity_hate,
    )

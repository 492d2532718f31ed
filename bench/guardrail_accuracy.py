"""Guardrail accuracy: PII spans on presidio-synth, injection and toxicity classifiers (CV)."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from llmops.core.paths import checkout
from llmops.guardrails.injection import InjectionParams, load_card, load_model
from llmops.guardrails.patterns import PII_LABELS
from llmops.guardrails.spans import find_spans
from llmops.guardrails.toxicity import TOXICITY_LABELS, score_toxicity
from llmops.guardrails.training import BENIGN_SOURCE, grouped_cv_proba, load_injection_data

ROOT = checkout("the guardrail accuracy benchmark")
PII_FILE = ROOT / "datasets" / "public" / "pii" / "presidio-synth-v2.json"
TOX_FILE = ROOT / "datasets" / "public" / "toxicity" / "jigsaw-sample.csv"
# presidio-research entity types -> our labels (structured types only).
ENTITY_MAP = {
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "CREDIT_CARD": "card",
    "IBAN_CODE": "iban",
    "US_SSN": "ssn",
    "IP_ADDRESS": "ip",
}


def _progress(msg: str) -> None:
    """Print a progress line to stderr."""
    print(f"[guardrail-accuracy] {msg}", file=sys.stderr, flush=True)


def split_of(template_id: object) -> str:
    """Deterministic dev/test split by template: errors were only ever inspected on 'dev'."""
    digest = hashlib.sha256(str(template_id).encode()).digest()
    return "dev" if digest[0] % 2 == 0 else "test"


def load_presidio(path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Texts (row, text, split) and gold spans (row, label, start, end) for our labels."""
    records = json.loads(path.read_text())
    texts = pl.DataFrame(
        {
            "row": list(range(len(records))),
            "text": [r["full_text"] for r in records],
            "split": [split_of(r.get("template_id")) for r in records],
        },
        schema={"row": pl.UInt32, "text": pl.Utf8, "split": pl.Utf8},
    )
    gold_rows = [
        (i, s["entity_type"], s["start_position"], s["end_position"])
        for i, r in enumerate(records)
        for s in r["spans"]
    ]
    gold = pl.DataFrame(
        gold_rows, schema=["row", "entity", "start", "end"], orient="row"
    ).with_columns(pl.col("row").cast(pl.UInt32), pl.col("start", "end").cast(pl.Int64))
    return texts, gold


def _overlap_pairs(pred: pl.DataFrame, gold: pl.DataFrame) -> pl.DataFrame:
    """Every (prediction, gold span) pair in the same text whose char ranges intersect."""
    return pred.join(gold, on="row", suffix="_g").filter(
        (pl.col("start") < pl.col("end_g")) & (pl.col("start_g") < pl.col("end"))
    )


def match_pii(texts: pl.DataFrame, gold: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, float]:
    """Predictions flagged tp, gold spans flagged hit (same label, overlapping), records/s."""
    t0 = time.perf_counter()
    pred = find_spans(texts["text"], PII_LABELS)
    elapsed = time.perf_counter() - t0
    pred = pred.with_columns(row=texts["row"].gather(pred["row"]))
    pred = pred.join(texts.select("row", "split"), on="row").with_row_index("pid")
    gold_ours = (
        gold.with_columns(label=pl.col("entity").replace_strict(ENTITY_MAP, default=None))
        .filter(pl.col("label").is_not_null())
        .join(texts.select("row", "split"), on="row")
        .with_row_index("gid")
    )
    # A prediction is a true positive when it overlaps a gold span of the same label.
    same = _overlap_pairs(pred, gold_ours).filter(pl.col("label") == pl.col("label_g"))
    pred = pred.with_columns(tp=pl.col("pid").is_in(same["pid"].implode()))
    gold_ours = gold_ours.with_columns(hit=pl.col("gid").is_in(same["gid"].implode()))
    return pred, gold_ours, texts.height / elapsed


def pii_scores(texts: pl.DataFrame, gold: pl.DataFrame) -> tuple[pl.DataFrame, float]:
    """Per-label and per-split precision/recall/F1 with overlap matching; also records/s."""
    pred, gold_ours, rps = match_pii(texts, gold)
    rows = []
    for split in ("all", "dev", "test"):
        p = pred if split == "all" else pred.filter(pl.col("split") == split)
        g = gold_ours if split == "all" else gold_ours.filter(pl.col("split") == split)
        for label in PII_LABELS:
            pl_ = p.filter(pl.col("label") == label)
            gl_ = g.filter(pl.col("label") == label)
            n_pred, n_tp = pl_.height, int(pl_["tp"].sum())
            n_gold, n_hit = gl_.height, int(gl_["hit"].sum())
            prec = n_tp / n_pred if n_pred else float("nan")
            rec = n_hit / n_gold if n_gold else float("nan")
            f1 = 2 * prec * rec / (prec + rec) if n_pred and n_gold and prec + rec else float("nan")
            rows.append((split, label, n_gold, n_pred, n_tp, n_hit, prec, rec, f1))
    table = pl.DataFrame(
        rows,
        schema=[
            "split",
            "label",
            "gold",
            "pred",
            "tp_pred",
            "tp_gold",
            "precision",
            "recall",
            "f1",
        ],
        orient="row",
    )
    return table, rps


def _prf(y: np.ndarray, pred: np.ndarray) -> tuple[float, float, float]:
    """Precision, recall, F1 of the positive class (0 when undefined)."""
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, _ = precision_recall_fscore_support(y, pred, average="binary", zero_division=0)
    return float(p), float(r), float(f)


def injection_scores(folds: int) -> tuple[pl.DataFrame, float]:
    """Grouped k-fold CV of the shipped settings: every row scored by a model that never saw it."""
    card = load_card()
    params = InjectionParams(**card["params"])
    df = load_injection_data()
    _progress(f"injection: {folds}-fold grouped CV on {df.height} rows (retrains {folds} times)")
    proba = grouped_cv_proba(df, params, n_splits=folds, seed=card["seed"])
    pred = (proba >= params.threshold).astype(int)
    rows = []
    for source in ("deepset", "jackhhao", BENIGN_SOURCE, "all"):
        mask = np.ones(df.height, bool) if source == "all" else (df["source"] == source).to_numpy()
        y = df["label"].to_numpy()[mask]
        for cls, name in ((1, "injection"), (0, "benign")):
            if not (y == cls).any():
                continue  # the benign instructions have no injection class
            p, r, f = _prf((y == cls).astype(int), (pred[mask] == cls).astype(int))
            rows.append((source, name, int((y == cls).sum()), p, r, f))
    table = pl.DataFrame(
        rows, schema=["dataset", "class", "support", "precision", "recall", "f1"], orient="row"
    )
    model = load_model()
    t0 = time.perf_counter()
    model.predict_proba(df["text"])
    return table, df.height / (time.perf_counter() - t0)


def traffic_scores(days: int, calls_per_day: int, seed: int) -> pl.DataFrame:
    """Shipped model on the traffic simulator's user inputs (never training data), per call."""
    from datetime import date

    from llmops.simulators.traffic.plan import build_plan

    plan = build_plan(date(2025, 1, 1), days, calls_per_day, seed)
    calls = [c for c in plan.calls if c.user_text]
    texts = pl.Series([c.user_text for c in calls], dtype=pl.Utf8)
    y = np.array([c.injection for c in calls], dtype=int)
    model = load_model()
    pred = (model.predict_proba(texts) >= model.params.threshold).astype(int)
    p, r, f = _prf(y, pred)
    flagged_benign = texts.filter(pl.Series((pred == 1) & (y == 0))).value_counts(sort=True)
    _progress(f"traffic: benign inputs flagged, by text: {flagged_benign.head(5).rows()}")
    return pl.DataFrame(
        {
            "calls": [len(calls)],
            "distinct_inputs": [texts.n_unique()],
            "planted_injections": [int(y.sum())],
            "flagged": [int(pred.sum())],
            "false_positives": [int(((pred == 1) & (y == 0)).sum())],
            "precision": [p],
            "recall": [r],
            "f1": [f],
        }
    )


def toxicity_scores(path: Path) -> tuple[pl.DataFrame, float, pl.DataFrame]:
    """Shipped toxicity labels per class on every row, plus a CV'd TF-IDF baseline."""
    df = pl.read_csv(path)
    t0 = time.perf_counter()
    scored = score_toxicity(df["comment_text"])
    rps = df.height / (time.perf_counter() - t0)
    rows = []
    for label in TOXICITY_LABELS:
        y = df[label].to_numpy()
        p, r, f = _prf(y, scored[label].to_numpy().astype(int))
        rows.append((label, int(y.sum()), int(scored[label].sum()), p, r, f))
    table = pl.DataFrame(
        rows, schema=["class", "support", "predicted", "precision", "recall", "f1"], orient="row"
    )
    return table, rps, _toxicity_baseline(df)


def _toxicity_baseline(df: pl.DataFrame) -> pl.DataFrame:
    """Reference only: char+word TF-IDF LR, 5-fold stratified CV, for the `toxic` class."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline, make_union

    model = make_pipeline(
        make_union(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
            TfidfVectorizer(sublinear_tf=True),
        ),
        LogisticRegression(C=10, class_weight="balanced", max_iter=2000),
    )
    y = df["toxic"].to_numpy()
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    pred = cross_val_predict(model, df["comment_text"].to_list(), y, cv=cv)
    p, r, f = _prf(y, pred)
    return pl.DataFrame({"class": ["toxic"], "precision": [p], "recall": [r], "f1": [f]})


@dataclass(frozen=True)
class Goal:
    """One row of the summary: a detector's figure on a held-back split against its goal."""

    detector: str
    data: str
    figure: str
    goal: str
    met: bool


def _fmt(**figures: float) -> str:
    return " ".join(f"{k} {v:.2f}" for k, v in figures.items())


def pii_goals(table: pl.DataFrame, phone_check: tuple[float, float] | None) -> list[Goal]:
    """Phone P and R >= 0.95, the other PII labels kept at >= 0.98, on presidio's test templates
    (and, for phone, the Faker set's held-back check templates)."""
    test = {r["label"]: r for r in table.filter(pl.col("split") == "test").iter_rows(named=True)}
    phone = test["phone"]
    out = [
        Goal(
            "phone",
            f"presidio-synth-v2 test templates ({phone['gold']} phones)",
            _fmt(P=phone["precision"], R=phone["recall"]),
            "P and R >= 0.95",
            phone["precision"] >= 0.95 and phone["recall"] >= 0.95,
        )
    ]
    if phone_check is not None:
        p, r = phone_check
        out.append(
            Goal("phone", "Faker phone set, held-back check templates", _fmt(P=p, R=r),
                 "P and R >= 0.95", p >= 0.95 and r >= 0.95)
        )  # fmt: skip
    rest = [label for label in ("email", "card", "iban", "ssn", "ip") if test[label]["gold"]]
    worst = min(min(test[x]["precision"], test[x]["recall"]) for x in rest)
    out.append(
        Goal(
            ", ".join(rest),
            "presidio-synth-v2 test templates",
            f"min P/R {worst:.2f}",
            "keep >= 0.98",
            worst >= 0.98,
        )
    )
    return out


def phone_check_figures() -> tuple[float, float]:
    """Phone P/R on the Faker set's check templates (written before the rules, scored after)."""
    import phone_devset  # bench/ is on sys.path when this runs as a script

    items = phone_devset.build_devset(local_check=True)
    pred, gold = phone_devset.score(items)
    check = pl.col("kind").str.ends_with("check")
    pred, gold = pred.filter(check), gold.filter(check)
    return pred["tp"].sum() / max(pred.height, 1), gold["hit"].sum() / max(gold.height, 1)


def injection_goals() -> list[Goal]:
    """The shipped card's held-back split (20%, read once after selection), per source."""
    card = load_card()
    held = card["metrics"]["heldout_20pct"]
    names = {"deepset": "deepset-style (en/de)", "jackhhao": "jailbreak-style"}
    out = []
    for source, name in names.items():
        m = held[source]
        out.append(
            Goal(
                f"injection, {name}",
                f"{source} train split, held-back 20% ({m['n']} rows), {card['version']}",
                _fmt(P=m["precision"], R=m["recall"], F1=m["f1"]),
                "F1 >= 0.90",
                m["f1"] >= 0.90,
            )
        )
    return out


def toxicity_goals() -> list[Goal]:
    """The shipped toxicity rule's held-back figures, read from the model card."""
    from llmops.guardrails.toxicity.model import card_path

    card = json.loads(card_path().read_text())
    held = card["metrics"]["heldout_20pct"]
    m = held["shipped rule (model or lexicon)"]
    data = (
        f"pooled tweets/comments/HateCheck, held-back 20% ({held['rows']} rows), {card['version']}"
    )
    return [
        Goal(
            "toxicity (model or lexicon)",
            data,
            _fmt(P=m["precision"], R=m["offensive_recall"])
            + f" (offensive); hate R {m['hate_recall']:.2f}; clean flagged {m['clean_flag_rate']:.1%}",
            "R >= 0.90 at P >= 0.95, hate R >= 0.85",
            m["precision"] >= 0.95 and m["offensive_recall"] >= 0.90 and m["hate_recall"] >= 0.85,
        )
    ]


def print_summary(goals: list[Goal]) -> None:
    """The issue's table: detector | data | held-back figure | goal | met."""
    print(
        "\n## Summary: held-back splits of the project's own data (goals re-checked on unseen sets)"
    )
    print("| detector | held-back data | figure | goal | met |")
    print("|---|---|---|---|---|")
    for g in goals:
        print(f"| {g.detector} | {g.data} | {g.figure} | {g.goal} | {'yes' if g.met else 'NO'} |")


def main(argv: list[str] | None = None) -> int:
    """Run every accuracy benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pii-file", type=Path, default=PII_FILE)
    parser.add_argument("--tox-file", type=Path, default=TOX_FILE)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-injection", action="store_true", help="skip the CV retraining")
    parser.add_argument(
        "--only",
        choices=["pii", "injection", "toxicity"],
        default=None,
        help="run one benchmark only (default: all)",
    )
    parser.add_argument("--show-errors", choices=["dev"], default=None)
    args = parser.parse_args(argv)
    run_pii = args.only in (None, "pii")
    run_injection = args.only == "injection" or (args.only is None and not args.skip_injection)
    run_toxicity = args.only in (None, "toxicity")
    pl.Config.set_tbl_rows(100)
    pl.Config.set_tbl_cols(-1)
    pl.Config.set_tbl_width_chars(160)
    goals: list[Goal] = []
    if run_pii:
        _progress(f"PII: loading {args.pii_file}")
        texts, gold = load_presidio(args.pii_file)
        _progress(f"PII: scanning {texts.height} texts")
        table, rps = pii_scores(texts, gold)
        print("\n## PII (presidio-synth-v2, overlap matching)")
        print(table.with_columns(pl.col("precision", "recall", "f1").round(3)))
        print(f"PII scan speed: {rps:,.0f} records/s")
        _progress("phone: Faker set, check templates")
        goals += pii_goals(table, phone_check_figures())
    if run_injection:
        inj, inj_rps = injection_scores(args.folds)
        print(f"\n## Prompt injection ({args.folds}-fold grouped CV, shipped settings)")
        print(inj.with_columns(pl.col("precision", "recall", "f1").round(3)))
        card = load_card()
        held = {k: v.get("f1") for k, v in card["metrics"]["heldout_20pct"].items()}
        print(f"model card held-out 20% F1 (injection class): {held}")
        print(f"injection model speed: {inj_rps:,.0f} records/s (these prompts are long)")
        _progress("traffic: simulator plan, 30 days x 2,000 calls, seed 7")
        print("\n## Prompt injection on simulated traffic (user inputs; planted = positive)")
        print(
            traffic_scores(30, 2000, 7).with_columns(pl.col("precision", "recall", "f1").round(3))
        )
    if run_toxicity:
        _progress(f"toxicity: scoring {args.tox_file}")
        tox, tox_rps, base = toxicity_scores(args.tox_file)
        print(
            "\n## Toxicity labels on jigsaw-sample (282 rows; in the model's training pool, so not a held-out figure)"
        )
        print(tox.with_columns(pl.col("precision", "recall", "f1").round(3)))
        print(f"toxicity speed: {tox_rps:,.0f} records/s (first call, model load included)")
        print("reference, not shipped: char+word TF-IDF LR, 5-fold CV on the same rows")
        print(base.with_columns(pl.col("precision", "recall", "f1").round(3)))
    if args.only in (None, "injection"):
        goals += injection_goals()  # the card's figures: no retraining needed
    if run_toxicity:
        goals += toxicity_goals()
    print_summary(goals)
    if args.show_errors == "dev" and run_pii:
        show_dev_errors(texts, gold)
    return 0


def show_dev_errors(texts: pl.DataFrame, gold: pl.DataFrame) -> None:
    """Print misses and false positives on the dev split only (never on test)."""
    pred, gold_ours, _ = match_pii(texts, gold)
    text_of = dict(zip(texts["row"].to_list(), texts["text"].to_list(), strict=True))
    print("\n## dev false positives")
    for r in pred.filter(~pl.col("tp") & (pl.col("split") == "dev")).iter_rows(named=True):
        under = gold.filter(
            (pl.col("row") == r["row"])
            & (pl.col("start") < r["end"])
            & (pl.col("end") > r["start"])
        )["entity"].to_list()
        print(r["label"], repr(text_of[r["row"]][r["start"] : r["end"]]), "gold:", under)
    print("\n## dev misses")
    for r in gold_ours.filter(~pl.col("hit") & (pl.col("split") == "dev")).iter_rows(named=True):
        print(r["label"], repr(text_of[r["row"]][r["start"] : r["end"]]))


if __name__ == "__main__":
    raise SystemExit(main())

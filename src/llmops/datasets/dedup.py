"""Exact and near-duplicate removal, within a batch and against the current version.

Exact: same question and answer after case/punctuation/whitespace folding. Near: MinHash LSH
(datasketch) over character shingles of the folded question proposes pairs; the exact shingle
Jaccard confirms them. Pairs are joined into clusters; each cluster keeps an existing item if it
has one, else its best batch row (references before negatives, then the smallest id).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from llmops.datasets.config import DedupSpec
from llmops.datasets.manifest import Cluster, ClusterMember, Removal
from llmops.datasets.schema import KIND_NEGATIVE, Item, tag_value

Row = dict[str, Any]
_NON_WORD = re.compile(r"[\W_]+")
LSH_MARGIN = 0.2  # LSH proposes pairs this far below the threshold; Jaccard decides


@dataclass
class DedupResult:
    """Rows kept, rows removed (with reasons) and the clusters they formed."""

    kept: list[Row] = field(default_factory=list)
    removed: list[Removal] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)


def fold(text: str | None) -> str:
    """Casefolded text with punctuation and whitespace runs as single spaces."""
    return _NON_WORD.sub(" ", (text or "").casefold()).strip()


def shingles(text: str, k: int) -> set[str]:
    """Character k-shingles of folded text (the whole text when shorter than k)."""
    return {text[i : i + k] for i in range(max(1, len(text) - k + 1))} if text else set()


def jaccard(a: set[str], b: set[str]) -> float:
    """|a ∩ b| / |a ∪ b| (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _answer(row: Row) -> str:
    meta = row.get("metadata") or {}
    return fold(row.get("reference_answer") or meta.get("answer") or "")


def _rank(row: Row) -> tuple[int, str]:
    """Which batch row a cluster keeps: references first, then the smallest id."""
    return (int(tag_value(row.get("tags") or [], "kind") == KIND_NEGATIVE), str(row["id"]))


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _near_pairs(keys: list[str], spec: DedupSpec, skip: set[tuple[int, int]]) -> dict:
    """Verified near-duplicate pairs (i < j) -> Jaccard, via MinHash LSH candidates."""
    from datasketch import MinHash, MinHashLSH

    sets = [shingles(k, spec.shingle_chars) for k in keys]
    hashes = MinHash.bulk(
        [[s.encode() for s in sorted(sh)] for sh in sets], num_perm=spec.num_perm, seed=1
    )
    lsh = MinHashLSH(threshold=max(0.1, spec.near_threshold - LSH_MARGIN), num_perm=spec.num_perm)
    for i, mh in enumerate(hashes):
        if sets[i]:
            lsh.insert(str(i), mh)
    pairs: dict[tuple[int, int], float] = {}
    for i, mh in enumerate(hashes):
        if not sets[i]:
            continue
        for other in lsh.query(mh):
            j = int(other)
            pair = (min(i, j), max(i, j))
            if i == j or pair in pairs or pair in skip:
                continue
            sim = jaccard(sets[i], sets[j])
            if sim >= spec.near_threshold:
                pairs[pair] = sim
    return pairs


def deduplicate(rows: list[Row], existing: list[Item], spec: DedupSpec) -> DedupResult:
    """Remove batch rows that duplicate another batch row or an existing item (other id)."""
    batch = list(rows)
    n_batch = len(batch)
    current = [i.model_dump() | {"_origin": "current version"} for i in existing]
    pool = batch + current
    qkeys = [fold(r.get("question")) for r in pool]
    akeys = [_answer(r) for r in pool]
    ids = [str(r["id"]) for r in pool]
    # a batch row with the id of an existing item is an update of it, never its duplicate
    same_id = {
        (i, j) for i in range(n_batch) for j in range(n_batch, len(pool)) if ids[i] == ids[j]
    }
    updates = {i for i, _ in same_id}
    exact: dict[tuple[int, int], float] = {}
    first: dict[tuple[str, str], int] = {}
    for i in range(len(pool)):
        key = (qkeys[i], akeys[i])
        if key in first and (first[key], i) not in same_id:
            exact[(first[key], i)] = 1.0
        first.setdefault(key, i)
    near = _near_pairs(qkeys, spec, same_id | set(exact))
    uf = _UnionFind(len(pool))
    for a, b in [*exact, *near]:
        if a < n_batch or b < n_batch:  # existing-existing pairs are not this batch's business
            uf.union(a, b)
    groups: dict[int, list[int]] = {}
    for i in range(len(pool)):
        groups.setdefault(uf.find(i), []).append(i)
    result = DedupResult()
    dropped: set[int] = set()
    sets = {i: shingles(qkeys[i], spec.shingle_chars) for i in range(len(pool))}
    for members in groups.values():
        if len(members) < 2:
            continue
        olds = [m for m in members if m >= n_batch]
        keep = olds[0] if olds else min(members, key=lambda m: _rank(pool[m]))
        gone = [m for m in members if m < n_batch and m != keep and m not in updates]
        if not gone:
            continue
        removed = []
        for m in sorted(gone, key=lambda m: ids[m]):
            pair = (min(m, keep), max(m, keep))
            is_exact = pair in exact or (qkeys[m], akeys[m]) == (qkeys[keep], akeys[keep])
            sim = 1.0 if is_exact else round(jaccard(sets[m], sets[keep]), 3)
            removed.append(
                ClusterMember(id=ids[m], origin=pool[m]["_origin"], similarity=sim, exact=is_exact)
            )
            what = "exact duplicate" if is_exact else f"near duplicate (question similarity {sim})"
            where = "current item" if keep >= n_batch else "batch row"
            result.removed.append(
                Removal(
                    origin=pool[m]["_origin"],
                    id=ids[m],
                    question=(pool[m].get("question") or "")[:80],
                    stage="dedup",
                    reasons=[f"{what} of {where} {ids[keep]} ({pool[keep]['_origin']})"],
                )
            )
            dropped.add(m)
        result.clusters.append(
            Cluster(
                keep=ids[keep],
                keep_origin=pool[keep]["_origin"],
                against="current" if keep >= n_batch else "batch",
                removed=removed,
            )
        )
    result.kept = [r for i, r in enumerate(batch) if i not in dropped]
    result.clusters.sort(key=lambda c: c.keep)
    return result

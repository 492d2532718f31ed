"""What an erasure is about: a user (raw id or its keyed hash) or a call, and how to match it."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["user", "call"]
USER_HASH = re.compile(r"[0-9a-f]{32}")


def user_hash(user_id: str, key: bytes) -> str:
    """The keyed hash ingest stores for a raw user id (HMAC-SHA256, 32 hex)."""
    return hmac.new(key, user_id.encode(), hashlib.sha256).hexdigest()[:32]


def sha256(text: str) -> str:
    """Hex sha256 of a text: how the erasures table names a target."""
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Target:
    """One reading of the operator's id: the lake id it matches and the raw text to look for."""

    kind: Kind
    lake_id: str  # user_hash for a user, call_id for a call
    raw_id: str | None = None  # the raw user id, when the operator gave it

    @property
    def digest(self) -> str:
        """sha256 of the lake id (the keyed hash for users: no dictionary attack on raw ids)."""
        return sha256(self.lake_id)

    @property
    def needles(self) -> tuple[str, ...]:
        """Substrings that mark a quarantined raw record as this target's (JSON-quoted ids)."""
        if self.kind == "call":
            return (json.dumps(self.lake_id),)
        found = [self.lake_id]  # 32 hex: quarantine raw records with hashed user ids
        if self.raw_id is not None:
            found.append(json.dumps(self.raw_id, ensure_ascii=False))
            found.append(json.dumps(self.raw_id))  # \u-escaped form, if the writer escaped
        return tuple(dict.fromkeys(found))


def readings(kind: Kind, given: str, key: bytes) -> list[Target]:
    """The targets `given` can mean, most likely first: a raw user id, then an already hashed one."""
    if kind == "call":
        return [Target("call", given)]
    out = [Target("user", user_hash(given, key), raw_id=given)]
    if USER_HASH.fullmatch(given):
        out.append(Target("user", given))
    return out

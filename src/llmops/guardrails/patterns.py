"""PII and secret patterns, written from each format's specification (regex crate syntax)."""

from __future__ import annotations

from dataclasses import dataclass

PII_LABELS: tuple[str, ...] = ("email", "phone", "card", "iban", "ssn", "ip")
SECRET_LABELS: tuple[str, ...] = (
    "private_key",
    "jwt",
    "anthropic_key",
    "openai_key",
    "github_token",
    "slack_token",
    "google_api_key",
    "aws_access_key",
)


@dataclass(frozen=True)
class PatternSpec:
    """One pattern detector: candidate regex plus the validator that confirms a candidate."""

    label: str
    detector: str  # "pii" | "secret"
    severity: str
    regex: str
    validator: str | None = None

    @property
    def placeholder(self) -> str:
        """Replacement token used when scrubbing, e.g. "[EMAIL]"."""
        return f"[{self.label.upper()}]"


_SEP = r"[ .\-]"
_EXT = r"(?:\s?(?:x|ext\.?|extension)\s?\d{1,6})?"

# E.164 style: "+" or "00" international prefix, country code, then digit groups that may be
# separated by space, dot or dash and may put the area code in parentheses, e.g. "(0)".
_PHONE_INTL = r"(?:\(\+\d{1,3}\)|\+\d{1,3}|\b00\d{1,3})(?:[ .\-]?\(?\d{1,5}\)?){1,6}" + _EXT + r"\b"
# North American Numbering Plan: 3-3-4 with separators, optional "1" trunk or "(NPA)".
_PHONE_NANP = (
    r"(?:\b1[ .\-]?)?(?:\(\d{3}\)[ .\-]?|\b\d{3}"
    + _SEP
    + r")\d{3}"
    + _SEP
    + r"\d{4}"
    + _EXT
    + r"\b"
)
# NANP written without separators: NPA and exchange both start with 2-9.
_PHONE_NANP_BARE = r"\b1?[2-9]\d{2}[2-9]\d{6}" + _EXT + r"\b"
# ITU-T E.123 national notation: area code in parentheses, or a "0" trunk prefix.
_PHONE_NATIONAL = (
    r"(?:\(\d{1,5}\)[ .\-]?\d{2,8}|\b0\d{1,4}"
    + _SEP
    + r"\d{2,8})(?:"
    + _SEP
    + r"\d{2,8}){0,4}"
    + _EXT
    + r"\b"
)
# Subscriber numbers without area code (E.123 groups, e.g. "99 577450"), or an unbroken run of
# 7-12 digits: only with a phone word next to them (see PHONE_CONTEXT / PHONE_CONTEXT_RIGHT).
_PHONE_GROUPED = r"\b\d{2,4}(?:" + _SEP + r"\d{2,8}){1,4}" + _EXT + r"\b"
_PHONE_BARE = r"\b\d{7,12}" + _EXT + r"\b"
_PHONE_WORDS = (
    r"phone|telephone|tel|mobile|mob|cell|cellphone|fax|call|dial|sms|whatsapp|landline"
    r"|hotline|ph"
)
_WEAK_PHONE_WORDS = r"number|no|contact|reach|ring|text"
_GAP = r"\b[^\d\n]{0,24}(?:\n[^\d\n]{0,4})?$"
# A phone word shortly before, on the same line or as a label on the line above ("Phone:\n").
PHONE_CONTEXT = r"(?i)\b(?:" + _PHONE_WORDS + r")" + _GAP
# Weaker words ("number", "contact") count only for numbers written in digit groups, and not
# after an identifier's name ("account number", "order no."), which is a different entity.
PHONE_CONTEXT_WEAK = r"(?i)\b(?:" + _WEAK_PHONE_WORDS + r")" + _GAP
NOT_PHONE_CONTEXT = (
    r"(?i)\b(?:account|acct|bank|card|order|invoice|policy|licen[cs]e|passport|member|customer"
    r"|reference|ref|routing|tracking|serial|ticket|case|id|tax|vat|item|model|part|social"
    r"|security|ssn|employee|student|patient|booking|confirmation)\W{0,3}(?:number|no|num)\b"
)
# A line-type label right after the number, as in signatures: "-Office", " (fax)", ", mobile".
PHONE_CONTEXT_RIGHT = (
    r"(?i)^[ \t]?[\-\u2013(/,]?[ \t]?(?:office|fax|mobile|cell|home|work|tel|phone|landline)\b"
)

_CARD = (
    r"\b(?:\d{4}-\d{4}-\d{4}-\d{4}(?:-\d{1,3})?"
    r"|\d{4} \d{4} \d{4} \d{4}(?: \d{1,3})?"
    r"|\d{4}[ \-]\d{6}[ \-]\d{4,5}"
    r"|\d{4}[ \-]\d{4}[ \-]\d{4}[ \-]\d{1,3}"
    r"|\d{12,19})\b"
)

_HEX = r"[0-9A-Fa-f]{1,4}"
_IPV6 = (
    rf"(?:(?:{_HEX}:){{7}}{_HEX}"
    rf"|{_HEX}:(?::{_HEX}){{1,6}}"
    rf"|(?:{_HEX}:){{1,2}}(?::{_HEX}){{1,5}}"
    rf"|(?:{_HEX}:){{1,3}}(?::{_HEX}){{1,4}}"
    rf"|(?:{_HEX}:){{1,4}}(?::{_HEX}){{1,3}}"
    rf"|(?:{_HEX}:){{1,5}}(?::{_HEX}){{1,2}}"
    rf"|(?:{_HEX}:){{1,6}}:{_HEX}"
    rf"|::(?:{_HEX}:){{0,6}}{_HEX}"
    rf"|(?:{_HEX}:){{1,7}}:)"
)

# Ordered by priority: when two candidates overlap, the earlier label wins.
SPECS: tuple[PatternSpec, ...] = (
    PatternSpec(
        "private_key",
        "secret",
        "critical",
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=\s:,.]|-[A-Za-z])*"
        r"(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)?",
    ),
    PatternSpec(
        "jwt",
        "secret",
        "high",
        r"\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{8,}",
    ),
    PatternSpec("anthropic_key", "secret", "critical", r"\bsk-ant-[A-Za-z0-9_\-]{20,}"),
    PatternSpec(
        "openai_key",
        "secret",
        "critical",
        r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}",
        "random_token",
    ),
    PatternSpec(
        "github_token",
        "secret",
        "critical",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b",
    ),
    PatternSpec("slack_token", "secret", "critical", r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"),
    PatternSpec("google_api_key", "secret", "critical", r"\bAIza[0-9A-Za-z_\-]{35}"),
    PatternSpec("aws_access_key", "secret", "critical", r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
    PatternSpec(
        "email",
        "pii",
        "medium",
        r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
        r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,63}\b",
        "email",
    ),
    PatternSpec(
        "iban",
        "pii",
        "high",
        r"(?i:\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b)",
        "iban",
    ),
    PatternSpec("card", "pii", "high", _CARD, "card"),
    PatternSpec(
        "ssn",
        "pii",
        "high",
        r"\b(?:\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}|\d{3}\.\d{2}\.\d{4}|\d{9})\b",
        "ssn",
    ),
    PatternSpec("ip", "pii", "low", r"\b\d{1,3}(?:\.\d{1,3}){3}\b|" + _IPV6, "ip"),
    PatternSpec(
        "phone",
        "pii",
        "medium",
        "|".join(
            (
                _PHONE_INTL,
                _PHONE_NANP,
                _PHONE_NATIONAL,
                _PHONE_NANP_BARE,
                _PHONE_GROUPED,
                _PHONE_BARE,
            )
        ),
        "phone",
    ),
)

SPEC_BY_LABEL: dict[str, PatternSpec] = {s.label: s for s in SPECS}
ALL_LABELS: tuple[str, ...] = tuple(s.label for s in SPECS)

# Words that must appear shortly before a bare 9-digit number for it to count as an SSN.
SSN_CONTEXT = (
    r"(?i)\b(?:ssn|social\s+security|soc\.?\s*sec|ss\s*#)"
    r"(?:[^\w\n]{0,4}(?:number|no|num|is|was)\b){0,2}[^\w\n]{0,4}$"
)


def combined_regex(labels: tuple[str, ...] | list[str] | None = None) -> str:
    """One alternation of every selected pattern: the single-pass prefilter."""
    specs = SPECS if labels is None else [SPEC_BY_LABEL[x] for x in labels]
    return "|".join(f"(?:{s.regex})" for s in specs)

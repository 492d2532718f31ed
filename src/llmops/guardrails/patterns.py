"""PII and secret patterns, written from each format's specification (regex crate syntax)."""

from __future__ import annotations

from llmops.guardrails.pattern_spec import PatternSpec
from llmops.guardrails.secret_patterns import SECRET_LABELS, SECRET_SPECS

__all__ = ["PII_LABELS", "SECRET_LABELS", "PatternSpec", "SPECS", "SPEC_BY_LABEL", "ALL_LABELS"]

PII_LABELS: tuple[str, ...] = ("email", "phone", "card", "iban", "ssn", "ip")


_SEP = r"[ .\-]"
# Between digit groups of a national number: space, dot, dash, or a slash after an area code
# ("0463/4019344", "06/ 834 49 78", "(06)91/417-7763").
_NSEP = r"(?:[ .\-]|[ ]?/[ ]?)"
_EXT = r"(?:\s?(?:x|ext\.?|extension)\s?\d{1,6})?"

# E.164 style: "+" or "00" international prefix, country code, then digit groups that may be
# separated by space, dot, dash or slash and may put the area code in parentheses, e.g. "(0)".
# A parenthesised group must close, so "... 3020 (24/7)" does not swallow "(24".
_PHONE_INTL = (
    r"(?:\(\+\d{1,3}\)|\+\d{1,3}|\b00\d{1,3})(?:[ .\-/]?(?:\(\d{1,5}\)|\d{1,5})){1,6}"
    + _EXT
    + r"\b"
)
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
# ITU-T E.123 national notation: area code in parentheses (after an optional "1"/"8" trunk, as
# in "8 (066) 907-43-91"), or a "0" trunk prefix; national numbers reach 13 digits (Austria).
_PHONE_NATIONAL = (
    r"(?:(?:\b[18][ .\-]?)?\(\d{1,5}\)(?:[ .\-/]|\)-)?\d{1,10}|\b0\d{0,4}"
    + _NSEP
    + r"\d{1,8})(?:"
    + _NSEP
    + r"\d{1,8}){0,5}"
    + _EXT
    + r"\b"
)
# Digit groups without an international or trunk prefix ("72 128 827", "92 7605-5952",
# "8 812 415 86 83"), or an unbroken run of 7-13 digits: the validator decides by shape and
# context (see PHONE_CONTEXT / PHONE_CONTEXT_RIGHT).
_PHONE_GROUPED = r"\b(?:[18][ .\-])?\d{2,5}(?:" + _NSEP + r"\d{1,8}){1,5}" + _EXT + r"\b"
_PHONE_BARE = r"\b\d{7,13}" + _EXT + r"\b"
# Phone words in English and the common European languages, with their inflections.
_PHONE_WORDS = (
    r"(?:tele)?phon(?:e|es|ed|ing)|t[eé]l|t[eé]l[eé]fono?|telefone|t[eé]l[eé]phone|telefon\w*"
    r"|mobile?|mobil|mob|móvil|movil|cell(?:phone|ular)?|celular|cellulare|handy|portable"
    r"|fax|call(?:s|ed|ing)?|dial(?:l?ed|l?ing)?|sms|whats\s?app|viber|landline|hotline"
    r"|helpline|switchboard|voicemail|ph|reach(?:ed|able)?|ring(?:s|ing)?|rang"
    r"|text(?:ed|ing)?\s+(?:me|us|him|her|them)|numéro|número|numero|nummer|rufnummer"
    r"|extension|direct\s+line|contact\s+(?:me|us|him|her|them)|help\s?desk"
    r"|(?:my|his|her|our|their|your|new|mobile|cell|home|work)\s+(?:phone\s+)?number"
)
_WEAK_PHONE_WORDS = r"numbers?|no|nr|contact|text|desk|office|home|work"
# Up to 32 characters without digits, or a label on the line above ("Phone:\n").
_GAP = r"\b[^\d\n]{0,32}(?:\n[^\d\n]{0,4})?$"
# A phone word shortly before, on the same line or as a label on the line above ("Phone:\n").
# Signature labels "T:", "M:", "P:", "F:", "H:", "C:" (upper case) count as phone words too.
PHONE_CONTEXT = (
    r"(?i)(?:(?:\b|_)(?:"
    + _PHONE_WORDS
    + r")(?:_\w*|(?-i:[A-Z])\w*)?"
    + _GAP
    + r"|(?-i:\b[TMPFHC])[ \t]?:[ \t]{0,3}\n?[ \t]*$)"
)
# Weaker words ("number", "contact") count only for numbers written in digit groups, and not
# after an identifier's name ("account number", "order no."), which is a different entity.
PHONE_CONTEXT_WEAK = r"(?i)\b(?:" + _WEAK_PHONE_WORDS + r")" + _GAP
# Another number of a list that a phone word introduced: "Numbers to try: 555 0101, 555 0102".
PHONE_CONTEXT_LIST = (
    r"(?i)\b(?:" + _PHONE_WORDS + r"|numbers)\b[^\n]{0,40}\d\)?[ \t]?(?:,|;|/|\bor\b|&)[ \t]?$"
)
# A contact verb, then "at" or "on" right before the number: "nobody answered at", "not picking
# up at", "try me on", "message her on", "leave a message on", "I'm available at". These verbs
# say phone only with the preposition, so they are not phone words of their own.
_CONTACT_VERBS = (
    r"answer(?:s|ed|ing)?|pick(?:s|ed|ing)?\s+up|(?:try|tries|tried|trying)(?:\s+\w+)?"
    r"|messag(?:e|es|ed|ing)(?:\s+\w+)?|(?:get|got|getting)\s+(?:hold\s+of|through\s+to)\s+\w+"
    r"|(?:leave|left|leaving)\s+(?:a\s+|me\s+a\s+|us\s+a\s+)?(?:message|voicemail|note)"
    r"|available|reachable|contactable|(?:be|get)\s+in\s+touch|catch\s+(?:me|us|him|her|them)"
    r"|buzz\s+(?:me|us|him|her|them)|(?:speak|talk)\s+to\s+(?:me|us|him|her|them)"
)
PHONE_CONTACT_AT = (
    r"(?i)\b(?:" + _CONTACT_VERBS + r")\b[^\d\n.;!?]{0,24}?\b(?:at|on)[ \t]*(?:\(\s*)?$"
)
# The number alone on a line of a signature: a closing line ("Best regards,", "Thanks", "Cheers")
# and then up to four lines without digits (a name, a job title, a company, a blank line).
_CLOSINGS = (
    r"regards|wishes|thanks|thank\s+you|cheers|sincerely|yours(?:\s+\w+)?|best|greetings"
    r"|take\s+care|talk\s+soon|ciao|gr(?:ü|ue)(?:ß|ss)e?|mfg|cordialement|salutations|saludos"
    r"|atentamente|cordiali\s+saluti|distinti\s+saluti|saluti|groeten|met\s+vriendelijke\s+groet"
    r"|hälsningar|mvh|hilsen|pozdrawiam|pozdrav\w*|s\s+pozdravem|üdvözlettel|saudações|abraços?"
)
SIGNATURE_LEFT = (
    r"(?i)(?:^|\n)[ \t]*(?:(?:best|kind|warm|warmest|many|with|all\s+the)\s+)?(?:"
    + _CLOSINGS
    + r")\b[^\n\d]{0,16}\n(?:[^\n\d]{0,64}\n){0,4}[ \t]*$"
)
# Or right under a name line that opens the text or a paragraph: two to four capitalised words
# (particles such as "van", "del" between them, a title such as ", MBA" after them), or a name
# in a script without letter case (CJK, Hangul, Hebrew, Thai), which may be a single word.
_CASED_WORD = r"\p{Lu}[\p{L}\p{M}'.\-]*"
_CASELESS_WORD = r"\p{Lo}[\p{Lo}\p{M}'.\-]*"
_PARTICLE = r"(?:de|du|da|di|del|della|der|den|van|von|la|le|bin|binti|al|el|y|dos|das|ten|ter)"
_CASED_NAME = _CASED_WORD + r"(?:[ \t]+(?:" + _PARTICLE + r"[ \t]+)*" + _CASED_WORD + r"){1,3}"
_CASELESS_NAME = _CASELESS_WORD + r"(?:[ \t]+" + _CASELESS_WORD + r"){0,3}"
NAME_LINE_LEFT = (
    r"(?:^|\n[ \t]*\n)[ \t]*(?:" + _CASED_NAME + "|" + _CASELESS_NAME + ")"
    r"(?:,[ \t]*[\p{L}.]{1,12})?[ \t]*\n[ \t]*$"
)
# ... and the number ends its line.
LINE_END_RIGHT = r"^[ \t]*(?:\n|$)"
_ID_NOUNS = (
    r"account|acct|bank|card|order|invoice|policy|licen[cs]e|passport|member|customer"
    r"|po|build|version|release|voucher|coupon|reg|registration|vin|plate"
    r"|reference|ref|routing|tracking|serial|ticket|case|id|tax|vat|item|model|part|social"
    r"|security|ssn|employee|student|patient|booking|confirmation|transaction|receipt|batch"
    r"|lot|sku|isbn|flight|room|page|pin|otp|user|client|claim|shipment|parcel|container"
)
NOT_PHONE_CONTEXT = r"(?i)\b(?:" + _ID_NOUNS + r")\W{0,3}(?:number|no|num|nr)\b"
# An identifier's label right before the digits ("Customer ID 62681813", "REF 2024 123 456",
# "Serial no. 4821 7732"), or a currency sign: not a phone whatever its shape.
NOT_PHONE_LEFT = (
    r"(?i)(?:\b(?:" + _ID_NOUNS + r"|sn)\b\.?(?:\s?(?:id|no|nr|num|number|#)"
    r"\b\.?)?[ \t]?(?:[:#=]|is|was)?[ \t]?|#\s?|[$€£¥]\s?|\b(?:eur|usd|gbp|chf|jpy)\s)$"
)
# A unit or currency right after the digits ("12 345 678 EUR", "1 234 km", "85 %").
NOT_PHONE_RIGHT = (
    r"(?i)^\s?(?:%|‰|€|\$|£|¥|(?:eur|usd|gbp|chf|jpy|dollars?|euros?|pounds|km|kg|mg|ms|mm|cm"
    r"|m|g|l|ml|kb|mb|gb|tb|hz|mhz|units?|pcs|items|people|votes|times|years?|days?|hours?"
    r"|minutes?|seconds?|rows|records|bytes|tokens|words)\b)"
)
# A street after the digits: a house number and a postcode or building number run together
# ("03262 2437 Main St", "17031 2202 Rissik St Apt. 050").
NOT_PHONE_STREET = (
    r"^[ \t]?(?-i:[A-Z][\w'.\-]*)(?:[ \t](?-i:[A-Z][\w'.\-]*)){0,2}[ \t](?i:st|street|ave|avenue|rd"
    r"|road|blvd|boulevard|lane|ln|dr|drive|way|court|ct|place|pl|square|sq|parkway|pkwy|highway"
    r"|hwy|terrace|circle|cir|trail|crescent|close|straße|strasse|str)\b"
)
# A line-type label right after the number, as in signatures ("-Office", " (fax)", ", mobile"),
# or the number named as one ("... is my new number", "... still your number?").
PHONE_CONTEXT_RIGHT = (
    r"(?i)^(?:[ \t]?[\-\u2013(/,]?[ \t]?(?:office|fax|mobile|cell|home|work|tel|phone|landline"
    r"|direct|main)\b|[ \t,]{0,2}(?:(?:is|was|as)\s)?(?:still\s)?(?:my|his|her|our|their|your|the)"
    r"\s(?:new\s|old\s|home\s|work\s|mobile\s|cell\s|direct\s|main\s|office\s)?(?:phone\s)?"
    r"(?:number|phone|line)\b)"
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
    *SECRET_SPECS,
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

"""Secret patterns (API keys, tokens, private keys, credentials), in priority order.

Regexes are in regex-crate syntax (as polars runs them: no look-around). Each rule is taken from
a secrets scanner's source and named in `SOURCES`; docs/guardrails.md has the table.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from llmops.guardrails.pattern_spec import PatternSpec

# Provenance of the rules: the scanners' repositories at the commits read.
DETECT_SECRETS = "Yelp/detect-secrets@5e141933 (v1.5.0) detect_secrets/plugins/"
GITLEAKS = "gitleaks/gitleaks@b58d3f10 config/gitleaks.toml"

# Characters of a base64url-ish token; a match must not be glued to more of them (the scanners'
# `(?!\w)` / `\b` end anchors, checked by the "bounded" validator since polars has no look-ahead).
_TOK = r"[A-Za-z0-9_\-]"
# Assignment operator of `key = value` forms: =, :, :=, =>, with optional quotes and spaces.
_OPERATOR = r"""["'\]]{0,2}[ \t]*(?::=|=>|=|:)[ \t]*"""
_ASSIGN = _OPERATOR + r"""["'`]?"""

_PASSWORD_VALUE = r"""(?:"[^"\n]*"|'[^'\n]*'|`[^`\n]*`|[^ \t\r\n"'`,;&=<>(){}\[\]]+)"""

SECRET_SPECS: tuple[PatternSpec, ...] = (
    PatternSpec(
        "private_key",
        "secret",
        "critical",
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/= \t\r\n:,.]|-[A-Za-z])*"
        r"(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)?",
    ),
    # The id of a Google Cloud service-account key file (its private_key is caught above).
    PatternSpec(
        "gcp_service_account", "secret", "critical", r'"private_key_id"[ \t]*:[ \t]*"[0-9a-f]{40}"'
    ),
    PatternSpec(
        "jwt",
        "secret",
        "high",
        r"\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{8,}",
    ),
    PatternSpec(
        "cloudant_credentials",
        "secret",
        "critical",
        r"https?://[A-Za-z0-9_\-]+:(?:[0-9a-f]{64}|[a-z]{24})@[A-Za-z0-9_\-]+\.cloudant\.com",
    ),
    PatternSpec(
        "slack_webhook",
        "secret",
        "high",
        r"https://hooks\.slack\.com/(?:services|workflows|triggers)/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+"
        r"/[A-Za-z0-9_]+",
    ),
    # scheme://user:password@host; user and password without RFC 3986 reserved characters.
    PatternSpec(
        "basic_auth_url",
        "secret",
        "high",
        r"\b[A-Za-z][A-Za-z0-9+.\-]{1,20}://[^ \t\r\n:/?#\[\]@!$&'()*+,;=]+:[^ \t\r\n:/?#\[\]@!$&'()*+,;=]+@"
        r"[A-Za-z0-9.\-]*(?::[0-9]{1,5})?",
        "basic_auth",
    ),
    PatternSpec("azure_storage_key", "secret", "critical", r"AccountKey=[A-Za-z0-9+/=]{88}"),
    # Service Bus, Event Hubs, IoT Hub connection strings: a base64 32-byte key.
    PatternSpec(
        "azure_shared_access_key",
        "secret",
        "critical",
        r"SharedAccessKey=[A-Za-z0-9+/]{43}=",
    ),
    PatternSpec(
        "azure_ad_client_secret",
        "secret",
        "critical",
        r"[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.\-]{31,34}",
        "azure_ad",
    ),
    PatternSpec(
        "aws_secret_key",
        "secret",
        "critical",
        r"(?i:aws)[^\n]{0,20}?(?i:key|pwd|pw|password|pass|token)[^\n]{0,20}?['\"][0-9A-Za-z/+]{40}['\"]",
        "aws_secret",
    ),
    PatternSpec(
        "ibm_cloud_iam_key",
        "secret",
        "critical",
        r"(?i:ibm[_\-]?(?:cloud[_\-]?)?(?:iam[_\-]?)?(?:api[_\-]?)?(?:key|pwd|password|pass|token))"
        + _ASSIGN
        + _TOK
        + r"{44}",
        "bounded",
    ),
    PatternSpec(
        "softlayer_key",
        "secret",
        "critical",
        r"(?i:(?:softlayer|\bsl)[_\-]?(?:api[_\-]?)?(?:key|pwd|password|pass|token))"
        + _ASSIGN
        + r"[a-z0-9]{64}\b|https?://api\.softlayer\.com/soap/v3(?:\.1)?/[a-z0-9]{64}\b",
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
    PatternSpec(
        "gitlab_token",
        "secret",
        "critical",
        r"\b(?:(?:glpat|gldt|glft|glsoat|glrt)-"
        + _TOK
        + r"{20,50}|GR1348941"
        + _TOK
        + r"{20,50}|glcbt-(?:[0-9a-fA-F]{2}_)?"
        + _TOK
        + r"{20,50}|glimt-"
        + _TOK
        + r"{25}|glptt-"
        + _TOK
        + r"{40}|glagent-"
        + _TOK
        + r"{50,1024}|gloas-"
        + _TOK
        + r"{64})",
        "bounded",
    ),
    PatternSpec("slack_token", "secret", "critical", r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"),
    PatternSpec("google_api_key", "secret", "critical", r"\bAIza[0-9A-Za-z_\-]{35}"),
    PatternSpec(
        "aws_access_key",
        "secret",
        "critical",
        r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b",
    ),
    PatternSpec(
        "stripe_key",
        "secret",
        "critical",
        r"\b[rs]k_(?:live|test|prod)_[0-9A-Za-z]{24,99}\b",
        "stripe",
    ),
    PatternSpec(
        "sendgrid_key", "secret", "critical", r"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}\b"
    ),
    PatternSpec(
        "huggingface_token",
        "secret",
        "critical",
        r"\b(?:hf_|api_org_)[A-Za-z]{34}\b",
        "mixed_case",
    ),
    PatternSpec("twilio_key", "secret", "high", r"\b(?:AC|SK)[0-9a-f]{32}\b", "hex_mixed"),
    PatternSpec(
        "npm_token",
        "secret",
        "critical",
        r"\bnpm_[A-Za-z0-9]{36}\b|_authToken=[ \t]*[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}"
        r"-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\b",
    ),
    PatternSpec(
        "pypi_token",
        "secret",
        "critical",
        r"\bpypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_\-]{70,}",
    ),
    PatternSpec("mailchimp_key", "secret", "high", r"\b[0-9a-f]{32}-us[0-9]{1,2}\b", "hex_mixed"),
    PatternSpec(
        "square_token",
        "secret",
        "critical",
        r"\b(?:sq0csp-[0-9A-Za-z_\-]{43}|sq0atp-[0-9A-Za-z_\-]{22,60})",
        "bounded",
    ),
    PatternSpec(
        "discord_bot_token",
        "secret",
        "critical",
        r"\b[MNO][A-Za-z0-9_\-]{23,25}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,38}",
        "discord",
    ),
    PatternSpec(
        "telegram_bot_token", "secret", "critical", r"[0-9]{8,10}:A[A-Za-z0-9_\-]{34}", "telegram"
    ),
    PatternSpec("shopify_token", "secret", "critical", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"),
    PatternSpec("digitalocean_token", "secret", "critical", r"\bdo[opr]_v1_[a-f0-9]{64}\b"),
    PatternSpec(
        "databricks_token", "secret", "critical", r"\bdapi[a-f0-9]{32}(?:-[0-9])?\b", "hex_mixed"
    ),
    PatternSpec(
        "artifactory_token",
        "secret",
        "critical",
        r"\b(?:AKCp[A-Za-z0-9]{69}|cmVmd[A-Za-z0-9]{59})\b",
    ),
    PatternSpec(
        "vault_token",
        "secret",
        "critical",
        r"\bhvs\.[A-Za-z0-9_\-]{90,120}\b|\bhvb\.[A-Za-z0-9_\-]{138,300}\b",
    ),
    PatternSpec(
        "age_secret_key",
        "secret",
        "critical",
        r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
    ),
    # Last: a password given in a `key = value` form (the value is checked by its validator).
    PatternSpec(
        "password_assignment",
        "secret",
        "high",
        r"(?i:password|passwd|passphrase|pwd|contraseña|contrasena)[A-Za-z0-9_.\-]{0,20}"
        + _OPERATOR
        + _PASSWORD_VALUE,
        "password",
    ),
)
SECRET_LABELS: tuple[str, ...] = tuple(s.label for s in SECRET_SPECS)

# Where each rule comes from (scanner, plugin or rule id); "ours" marks additions of this project.
SOURCES: dict[str, str] = {
    "private_key": f"{DETECT_SECRETS}private_key.py; {GITLEAKS} private-key",
    "gcp_service_account": "ours: the private_key_id field of a service-account key file",
    "jwt": f"{DETECT_SECRETS}jwt.py; {GITLEAKS} jwt",
    "cloudant_credentials": f"{DETECT_SECRETS}cloudant.py",
    "slack_webhook": f"{DETECT_SECRETS}slack.py; {GITLEAKS} slack-webhook-url",
    "basic_auth_url": f"{DETECT_SECRETS}basic_auth.py",
    "azure_storage_key": f"{DETECT_SECRETS}azure_storage_key.py",
    "azure_shared_access_key": "ours: Azure Service Bus / Event Hubs / IoT Hub connection string",
    "azure_ad_client_secret": f"{GITLEAKS} azure-ad-client-secret",
    "aws_secret_key": f"{DETECT_SECRETS}aws.py (second denylist regex)",
    "ibm_cloud_iam_key": f"{DETECT_SECRETS}ibm_cloud_iam.py (with an ibm prefix required)",
    "softlayer_key": f"{DETECT_SECRETS}softlayer.py",
    "anthropic_key": f"{GITLEAKS} anthropic-api-key (any length)",
    "openai_key": f"{DETECT_SECRETS}openai.py; {GITLEAKS} openai-api-key (wider)",
    "github_token": f"{DETECT_SECRETS}github_token.py; {GITLEAKS} github-pat, github-fine-grained-pat",
    "gitlab_token": f"{DETECT_SECRETS}gitlab_token.py",
    "slack_token": f"{DETECT_SECRETS}slack.py",
    "google_api_key": f"{GITLEAKS} gcp-api-key",
    "aws_access_key": f"{DETECT_SECRETS}aws.py; {GITLEAKS} aws-access-token",
    "stripe_key": f"{GITLEAKS} stripe-access-token; {DETECT_SECRETS}stripe.py (live keys)",
    "sendgrid_key": f"{DETECT_SECRETS}sendgrid.py",
    "huggingface_token": f"{GITLEAKS} huggingface-access-token, huggingface-organization-api-token",
    "twilio_key": f"{DETECT_SECRETS}twilio.py; {GITLEAKS} twilio-api-key",
    "npm_token": f"{GITLEAKS} npm-access-token; {DETECT_SECRETS}npm.py (.npmrc _authToken)",
    "pypi_token": f"{DETECT_SECRETS}pypi_token.py",
    "mailchimp_key": f"{DETECT_SECRETS}mailchimp.py; {GITLEAKS} mailchimp-api-key",
    "square_token": f"{DETECT_SECRETS}square_oauth.py; {GITLEAKS} square-access-token",
    "discord_bot_token": f"{DETECT_SECRETS}discord.py",
    "telegram_bot_token": f"{DETECT_SECRETS}telegram_token.py; {GITLEAKS} telegram-bot-api-token",
    "shopify_token": f"{GITLEAKS} shopify-access-token, -custom-, -private-app-, -shared-secret",
    "digitalocean_token": f"{GITLEAKS} digitalocean-pat, -access-token, -refresh-token",
    "databricks_token": f"{GITLEAKS} databricks-api-token",
    "artifactory_token": f"{GITLEAKS} artifactory-api-key, artifactory-reference-token",
    "vault_token": f"{GITLEAKS} vault-service-token, vault-batch-token (hvs./hvb. forms)",
    "age_secret_key": f"{GITLEAKS} age-secret-key",
    "password_assignment": f"{DETECT_SECRETS}keyword.py (password keywords only)",
}

# A stand-in, not a secret: template variables, angle-bracket or starred placeholders, words.
_PLACEHOLDER = (
    r"(?i)^(?:[*x.#_\-•]+|.*\$\{.*|.*\{\{.*|.*%\(.*|<.*>|\[.*\]|\{.*\}|\$\w+|%\w+%"
    r"|(?:your|my)[_\- ]\w+|foo|bar|baz|qux|token|example"
    r"|(?:(?:your|my|the|some|new|old|example|sample|dummy|fake|test|db|user|admin|default)"
    r"[_\- ]?)?(?:password|passwd|pass|pwd|secret|passphrase|pw|value|here|changeme|redacted"
    r"|hidden|removed|placeholder|none|null|nil|true|false|empty|undefined|required|string"
    r"|str|text)(?:[_\- ]?(?:here|goes[_\- ]here|value))?)$"
)


def _strip_quotes(value: pl.Expr) -> pl.Expr:
    """The value without one pair of surrounding quotes."""
    return value.str.replace(r"""^["'`](.*)["'`]$""", "$1")


def _password_ok(df: pl.DataFrame) -> pl.DataFrame:
    """`password = value` with a real-looking value: not a placeholder, name, path or URL."""
    raw = pl.col("value").str.extract(r"""(?::=|=>|=|:)[ \t]*(.*)$""", 1)
    quoted = raw.str.contains(r"""^["'`]""")
    val = _strip_quotes(raw)
    # Code, not a literal: a name, snake_case_name2, or a call ("f(...)").
    code = (
        val.str.contains(r"^[A-Za-z_][A-Za-z_]*$")
        | val.str.contains(r"^[A-Za-z_]\w*_\w*$")
        | pl.col("right").str.starts_with("(")
    )
    return df.filter(
        (val.str.len_chars() >= 6)
        & ~val.str.contains(_PLACEHOLDER)
        & ~val.str.contains(r"(?i)^(?:https?://|/|~/|\./|\.\./|[a-z]:\\)")
        # A dotted name (settings.db_password, pkg.module:Class) or a value naming the field.
        & ~val.str.contains(r"^[A-Za-z_]\w*(?:[.:][A-Za-z_]\w*)+$")
        & ~val.str.contains(r"(?i)pass(?:word|wd|phrase)|pwd")
        & (quoted | ~code)
        # Random-looking: a digit or symbol, or both letter cases ("unreserved" is a word).
        & (
            val.str.contains(r"[^A-Za-z\s]")
            | (val.str.contains("[a-z]") & val.str.contains("[A-Z]"))
        )
    )


def _basic_auth_ok(df: pl.DataFrame) -> pl.DataFrame:
    """A URL's password that is not a placeholder ("user:pass@", "user:<password>@")."""
    pw = pl.col("value").str.extract(r"://[^:]+:([^@]+)@", 1)
    return df.filter(~pw.str.contains(_PLACEHOLDER) & (pw.str.len_chars() >= 3))


def _bounded(df: pl.DataFrame) -> pl.DataFrame:
    """Not glued to more token characters on the right (a longer identifier)."""
    return df.filter(~pl.col("right").str.contains(r"^[A-Za-z0-9_\-]"))


def _telegram(df: pl.DataFrame) -> pl.DataFrame:
    """The whole digit run is the bot id (8-10 digits), and the token ends there."""
    return _bounded(df).filter(~pl.col("left").str.contains(r"\d$"))


def _hex_mixed(df: pl.DataFrame) -> pl.DataFrame:
    """The 32-hex body mixes digits and letters, as random hex does (not 32 zeros or a word)."""
    body = pl.col("value").str.replace(r"^(?:AC|SK|dapi)", "").str.extract(r"([0-9a-fA-F]{32})", 1)
    return df.filter(body.str.contains(r"\d") & body.str.contains(r"[a-fA-F]"))


def _mixed_case(df: pl.DataFrame) -> pl.DataFrame:
    """Random letters: both cases in the body, and bounded on the right."""
    body = pl.col("value").str.replace(r"^(?:hf_|api_org_)", "")
    return _bounded(df).filter(body.str.contains(r"[a-z]") & body.str.contains(r"[A-Z]"))


def _random_token(df: pl.DataFrame) -> pl.DataFrame:
    """OpenAI-style key body with digits, lower and upper case (not a hyphenated word run)."""
    body = pl.col("value").str.replace(r"^sk-(?:proj-|svcacct-|admin-)?", "")
    return df.filter(
        ~pl.col("value").str.starts_with("sk-ant-")
        & body.str.contains(r"\d")
        & body.str.contains(r"[a-z]")
        & body.str.contains(r"[A-Z]")
    )


def _discord(df: pl.DataFrame) -> pl.DataFrame:
    """Base64 parts with digits and both cases, bounded on the right."""
    v = pl.col("value")
    return _bounded(df).filter(
        v.str.contains(r"\d") & v.str.contains(r"[a-z]") & v.str.contains(r"[A-Z]")
    )


def _azure_ad(df: pl.DataFrame) -> pl.DataFrame:
    """gitleaks' delimiters around the secret: start or quote/space/=/:/( before, end after."""
    return df.filter(
        ((pl.col("left") == "") | pl.col("left").str.contains(r"""[\\'"`\s>=:(,)]$"""))
        & ~pl.col("right").str.contains(r"^[A-Za-z0-9_~.\-]")
    )


def _aws_secret(df: pl.DataFrame) -> pl.DataFrame:
    """The 40-character secret mixes digits and both cases."""
    key = pl.col("value").str.extract(r"""['"]([0-9A-Za-z/+]{40})['"]$""", 1)
    return df.filter(
        key.str.contains(r"\d") & key.str.contains(r"[a-z]") & key.str.contains(r"[A-Z]")
    )


def _stripe(df: pl.DataFrame) -> pl.DataFrame:
    """Test-mode keys (sk_test_, rk_test_) are kept one severity lower: no live money at stake."""
    test = pl.col("value").str.contains(r"^[rs]k_test_")
    return df.with_columns(confidence=pl.when(test).then(0.5).otherwise(pl.col("confidence")))


_VALIDATORS: dict[str, Callable[[pl.DataFrame], pl.DataFrame]] = {
    "random_token": _random_token,
    "password": _password_ok,
    "basic_auth": _basic_auth_ok,
    "bounded": _bounded,
    "telegram": _telegram,
    "hex_mixed": _hex_mixed,
    "mixed_case": _mixed_case,
    "discord": _discord,
    "azure_ad": _azure_ad,
    "aws_secret": _aws_secret,
    "stripe": _stripe,
}
SECRET_VALIDATORS: frozenset[str] = frozenset(_VALIDATORS)


def validate_secret(df: pl.DataFrame, spec: PatternSpec) -> pl.DataFrame:
    """Apply a secret spec's validator (named in SECRET_VALIDATORS) to its candidates."""
    check = _VALIDATORS.get(spec.validator or "")
    if check is None:
        raise ValueError(f"pattern {spec.label!r} names unknown validator {spec.validator!r}")
    return check(df)

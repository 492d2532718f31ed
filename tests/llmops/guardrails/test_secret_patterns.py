"""Secret detectors: one fake value per type, near misses, and a cross-check with detect-secrets."""

from __future__ import annotations

import base64
import json
import random
import string

import numpy as np
import polars as pl
import pytest

from llmops.guardrails.patterns import SPEC_BY_LABEL
from llmops.guardrails.scan import scan_frame
from llmops.guardrails.secret_patterns import SECRET_LABELS, SOURCES
from llmops.guardrails.spans import find_secrets, find_spans
from llmops.simulators.traffic.text import pii_pool

_RNG = random.Random(16)
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "_-"
_KINDS = (string.digits, string.ascii_lowercase, string.ascii_uppercase)


def rand(alphabet: str, n: int) -> str:
    """A random run of n characters holding a digit, a lower and an upper case letter if it can."""
    kinds = [k for k in _KINDS if set(alphabet) & set(k)]
    while True:
        s = "".join(_RNG.choice(alphabet) for _ in range(n))
        if all(set(s) & set(k) for k in kinds):
            return s


def b64url(obj: dict[str, object]) -> str:
    """Unpadded base64url of a JSON object (a JWT segment)."""
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


# Prefixes are split ("gl" + "pat-") so no push-protection scanner flags this file.
EXAMPLES: dict[str, str] = {
    "private_key": "-----BEGIN RSA " + "PRIVATE KEY-----\n" + rand(B64, 64) + "\n-----END RSA "
    "PRIVATE KEY-----",
    "gcp_service_account": '{"type": "service_account", "private_key'
    + '_id": "'
    + rand(HEX, 40)
    + '"}',
    "jwt": "token "
    + b64url({"alg": "HS256", "typ": "JWT"})
    + "."
    + b64url({"sub": "1234567890", "name": "Ann"})
    + "."
    + rand(URLSAFE, 43),
    "cloudant_credentials": "url = https://acct-1:" + rand(HEX, 64) + "@acct-1.clou" + "dant.com",
    "slack_webhook": "POST https://hooks.sl"
    + "ack.com/services/T"
    + rand(string.ascii_uppercase + string.digits, 8)
    + "/B"
    + rand(string.ascii_uppercase + string.digits, 10)
    + "/"
    + rand(ALNUM, 24),
    "basic_auth_url": "DATABASE_URL=postgres://app:" + rand(ALNUM, 14) + "@db.internal:5432/app",
    "azure_storage_key": "DefaultEndpointsProtocol=https;AccountName=acct;Account"
    + "Key="
    + rand(B64, 86)
    + "==;EndpointSuffix=core.windows.net",
    "azure_shared_access_key": "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;"
    "SharedAccess" + "Key=" + rand(B64, 43) + "=",
    "azure_ad_client_secret": 'client_secret = "'
    + rand(ALNUM, 3)
    + "8Q"
    + "~"
    + rand(ALNUM + "_~.-", 34)
    + '"',
    "aws_secret_key": 'aws_secret_access_key = "' + rand(ALNUM + "/+", 40) + '"',
    "ibm_cloud_iam_key": "ibm_cloud_iam_api_key = " + rand(URLSAFE, 44),
    "softlayer_key": "softlayer_api_key: " + rand(string.ascii_lowercase + string.digits, 64),
    "anthropic_key": "sk-" + "ant-api03-" + rand(URLSAFE, 93) + "AA",
    "openai_key": "sk-" + "proj-" + rand(ALNUM, 40) + "T3Blbk" + "FJ" + rand(ALNUM, 40),
    "github_token": "gh" + "p_" + rand(ALNUM, 36),
    "gitlab_token": "gl" + "pat-" + rand(URLSAFE, 20),
    "slack_token": "xo" + "xb-" + "1234567890-1234567890123-" + rand(ALNUM, 24),
    "google_api_key": "AI" + "za" + rand(URLSAFE, 35),
    "aws_access_key": "AK" + "IA" + rand(string.ascii_uppercase + "234567", 16),
    "stripe_key": "sk" + "_live_" + rand(ALNUM, 24),
    "sendgrid_key": "S" + "G." + rand(URLSAFE, 22) + "." + rand(URLSAFE, 43),
    "huggingface_token": "h" + "f_" + rand(string.ascii_letters, 34),
    "twilio_key": "S" + "K" + rand(HEX, 32),
    "npm_token": "//registry.npmjs.org/:_authToken=" + "np" + "m_" + rand(ALNUM, 36),
    "pypi_token": "py" + "pi-AgEIcHlwaS5vcmc" + rand(URLSAFE, 80),
    "mailchimp_key": rand(HEX, 32) + "-us" + "12",
    "square_token": "sq" + "0csp-" + rand(URLSAFE, 43),
    "discord_bot_token": "M" + rand(URLSAFE, 23) + "." + rand(URLSAFE, 6) + "." + rand(URLSAFE, 27),
    "telegram_bot_token": "bot" + str(_RNG.randrange(10**8, 10**9)) + ":A" + rand(URLSAFE, 34),
    "shopify_token": "sh" + "pat_" + rand(HEX, 32),
    "digitalocean_token": "do" + "p_v1_" + rand(HEX, 64),
    "databricks_token": "da" + "pi" + rand(HEX, 32),
    "artifactory_token": "AK" + "Cp" + rand(ALNUM, 69),
    "vault_token": "h" + "vs." + rand(URLSAFE, 95),
    "age_secret_key": "AGE-SECRET" + "-KEY-1" + rand("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58),
    "password_assignment": "db_pass" + 'word = "' + rand(ALNUM + "!#%", 14) + '"',
}

# detect-secrets plugin (class in detect_secrets.plugins.<module>) that must flag our example.
DETECT_SECRETS_PLUGIN: dict[str, tuple[str, str]] = {
    "private_key": ("private_key", "PrivateKeyDetector"),
    "jwt": ("jwt", "JwtTokenDetector"),
    "cloudant_credentials": ("cloudant", "CloudantDetector"),
    "slack_webhook": ("slack", "SlackDetector"),
    "basic_auth_url": ("basic_auth", "BasicAuthDetector"),
    "azure_storage_key": ("azure_storage_key", "AzureStorageKeyDetector"),
    "aws_secret_key": ("aws", "AWSKeyDetector"),
    "ibm_cloud_iam_key": ("ibm_cloud_iam", "IbmCloudIamDetector"),
    "softlayer_key": ("softlayer", "SoftlayerDetector"),
    "openai_key": ("openai", "OpenAIDetector"),
    "github_token": ("github_token", "GitHubTokenDetector"),
    "gitlab_token": ("gitlab_token", "GitLabTokenDetector"),
    "slack_token": ("slack", "SlackDetector"),
    "aws_access_key": ("aws", "AWSKeyDetector"),
    "stripe_key": ("stripe", "StripeDetector"),
    "sendgrid_key": ("sendgrid", "SendGridDetector"),
    "twilio_key": ("twilio", "TwilioKeyDetector"),
    "npm_token": ("npm", "NpmDetector"),
    "pypi_token": ("pypi_token", "PypiTokenDetector"),
    "mailchimp_key": ("mailchimp", "MailchimpDetector"),
    "square_token": ("square_oauth", "SquareOAuthDetector"),
    "discord_bot_token": ("discord", "DiscordBotTokenDetector"),
    "telegram_bot_token": ("telegram_token", "TelegramBotTokenDetector"),
    "artifactory_token": ("artifactory", "ArtifactoryDetector"),
    "password_assignment": ("keyword", "KeywordDetector"),
}


def labels_of(text: str) -> list[tuple[str, str]]:
    """(label, matched text) of every span in one text, PII included."""
    spans = find_spans(pl.Series([text]))
    return [(r["label"], text[r["start"] : r["end"]]) for r in spans.iter_rows(named=True)]


def test_at_least_25_types_each_with_example_and_source() -> None:
    assert len(SECRET_LABELS) >= 25
    assert set(EXAMPLES) == set(SECRET_LABELS) == set(SOURCES)


@pytest.mark.parametrize("label", SECRET_LABELS)
def test_each_type_finds_its_example(label: str) -> None:
    text = f"here it is: {EXAMPLES[label]} (do not share)"
    got = labels_of(text)
    assert [x for x, _ in got] == [label], got


@pytest.mark.parametrize("label", sorted(DETECT_SECRETS_PLUGIN))
def test_detect_secrets_also_flags_our_example(label: str) -> None:
    module, cls = DETECT_SECRETS_PLUGIN[label]
    plugins = pytest.importorskip(f"detect_secrets.plugins.{module}")
    plugin = getattr(plugins, cls)()
    line = EXAMPLES[label].replace("\n", " ") if label != "private_key" else EXAMPLES[label]
    found = plugin.analyze_line(filename="config.py", line=line, line_number=1)
    assert found, f"detect-secrets {cls} does not flag the {label} example"


def test_basic_auth_url_wins_over_email() -> None:
    text = "connect with https://admin:" + rand(ALNUM, 12) + "@mail.example.com/db now"
    got = labels_of(text)
    assert [x for x, _ in got] == ["basic_auth_url"]
    assert got[0][1].startswith("https://admin:") and got[0][1].endswith("mail.example.com")


def test_stripe_test_key_is_found_one_severity_lower() -> None:
    live = "sk" + "_live_" + rand(ALNUM, 24)
    test = "sk" + "_test_" + rand(ALNUM, 24)
    frame = pl.DataFrame({"call_id": ["a", "b"], "input_text": [f"key {live}", f"key {test}"]})
    findings = scan_frame(frame, text_cols=("input_text",), detectors=("secret",))
    sev = dict(zip(findings["call_id"].to_list(), findings["severity"].to_list(), strict=True))
    assert sev == {"a": SPEC_BY_LABEL["stripe_key"].severity, "b": "high"}


@pytest.mark.parametrize(
    "text",
    [
        "password=${DB_PASSWORD}",
        "password: <your-password>",
        'password = ""',
        "password=********",
        "PASSWORD=changeme",
        "password = os.environ['PW']",
        "pwd: /home/ann/projects",
        "password=settings.db_password",
        "password = db_password",
        "Forgot password: click the link we sent",
        "password: at least 8 characters",
        "Reset password: https://example.com/reset",
        'password: "{{ vault_pw }}"',
        "password is not set",
        '"pwd": "tools.shell.magics:ShellMagics",',
        '{"password": "reserved", "passive": "unreserved"}',
        'FIELD_PASSWORD = "login-form-password"',
        'results["password"] = make_word(size=8)',
        "git clone https://oauth2:your-token@git.example.com/org/repo.git",
        "ftp://foo:bar@ftp.example.org/pub",
        "postgres://user:password@localhost/db",
        "postgres://user:<password>@localhost/db",
        "redis://:${REDIS_PASSWORD}@cache:6379",
        "the hf_transfer flag and hf_hub_download helper",
        "AC" + "0" * 32 + " is all zeros",
        "ACCELERATION_ENGINE_SETTINGS_FOR_THE_WORLD",
        "Team: a1b2c3 - see https://docs.example.com/guide",
        "at 12:30:45, ticket 123456789:ABC",
        "sk_learn_estimators_are_fine",
        "glpat-short",
        "SG.not.a.key",
        "AKCp-is-not-enough",
        "npm_install is a verb",
    ],
)
def test_near_misses_are_not_secrets(text: str) -> None:
    assert find_secrets(pl.Series([text])).is_empty(), labels_of(text)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("password=Summer2024!", "password_assignment"),
        ('"password": "hunter22"', "password_assignment"),
        ("DB_PASSWD: s3cr3t-Value", "password_assignment"),
        ("contraseña = 'Mi-clave-9'", "password_assignment"),
        ("GL" + "PAT-" + rand(URLSAFE, 20), None),  # upper case prefix: not GitLab's form
        ("gl" + "rt-" + rand(URLSAFE, 20), "gitlab_token"),
        ("rk" + "_live_" + rand(ALNUM, 24), "stripe_key"),
        ("api" + "_org_" + rand(string.ascii_letters, 34), "huggingface_token"),
        ("AC" + rand(HEX, 32), "twilio_key"),
        ("sq" + "0atp-" + rand(URLSAFE, 22), "square_token"),
        ("sh" + "pss_" + rand(HEX, 32), "shopify_token"),
        ("AS" + "IA" + rand(string.ascii_uppercase, 16), "aws_access_key"),
        ("https://api.softlayer.com/soap/v3.1/" + rand(HEX, 64), "softlayer_key"),
    ],
)
def test_other_forms(text: str, label: str | None) -> None:
    got = [x for x, _ in labels_of(text) if SPEC_BY_LABEL[x].detector == "secret"]
    assert got == ([label] if label else []), got


def test_password_value_is_masked_with_its_key() -> None:
    text = "login with password=Summer2024! today"
    spans = find_secrets(pl.Series([text]))
    assert text[spans["start"][0] : spans["end"][0]] == "password=Summer2024!"


def test_every_secret_the_traffic_simulator_plants_is_found() -> None:
    pool = pii_pool(np.random.default_rng(7))
    secrets = {k: v for k, v in pool.items() if k.endswith(("_key", "_token"))}
    assert len(secrets) >= 4
    for kind, values in secrets.items():
        for value in values:
            got = find_secrets(pl.Series([f"my {kind} is {value} thanks"]))
            assert len(got) == 1, (kind, value)

"""Table-driven tests for the PII and secret pattern detectors."""

from __future__ import annotations

import polars as pl
import pytest

from llmops.guardrails.spans import find_pii, find_secrets, find_spans

# (text, label, exact matched substring)
POSITIVES = [
    ("write to john.doe+news@example.co.uk today", "email", "john.doe+news@example.co.uk"),
    ("call (415) 555-0132 now", "phone", "(415) 555-0132"),
    ("call 415-555-0132", "phone", "415-555-0132"),
    ("call 415.555.0132 x12", "phone", "415.555.0132 x12"),
    ("intl +44 20 7946 0958 office", "phone", "+44 20 7946 0958"),
    ("de +49 30 1234567", "phone", "+49 30 1234567"),
    ("ch +41 (0)44 668 18 00", "phone", "+41 (0)44 668 18 00"),
    ("us +1-202-555-0173", "phone", "+1-202-555-0173"),
    ("fr 01 23 45 67 89", "phone", "01 23 45 67 89"),
    ("uk 020 7946 0958", "phone", "020 7946 0958"),
    ("my phone is 467 3395", "phone", "467 3395"),
    ("Phone:\n60-56-85-91\n", "phone", "60-56-85-91"),  # label on the line above
    ("mobile: 99 577450", "phone", "99 577450"),  # subscriber group longer than 4 digits
    ("fax 3660170548", "phone", "3660170548"),  # unbroken digits with a strong phone word
    ("085 175 7641-Office, 3660170548-Fax", "phone", "3660170548"),  # label after it
    ("(+44) 20 7946 0958", "phone", "(+44) 20 7946 0958"),
    # Round 3: formats from national numbering plans, and phone shapes without a phone word.
    ("Emergency? +64 7 559 3020 (24/7)", "phone", "+64 7 559 3020"),  # "(24" not swallowed
    ("Handy: 0463/40193445", "phone", "0463/40193445"),  # slash after the area code
    ("ring 06/ 834 49 78 please", "phone", "06/ 834 49 78"),
    ("Telefon: 69/204-8900", "phone", "69/204-8900"),
    ("Mobile 03168 12243 822", "phone", "03168 12243 822"),  # 13-digit national number
    ("call back on (351) 912149715", "phone", "(351) 912149715"),  # long subscriber group
    ("Tel: 8 (066) 907-43-91", "phone", "8 (066) 907-43-91"),  # "8" trunk
    ("whatsapp 0 625 120 929", "phone", "0 625 120 929"),  # trunk digit as its own group
    ("Alex Moss, 432 03 163, alex@example.org", "phone", "432 03 163"),  # shape, no word
    ("Phone: 72 128 827", "phone", "72 128 827"),  # thousands layout needs a phone word
    ("Best,\nAna Lima\n92 7605-5952", "phone", "92 7605-5952"),
    ("Kontakt: 694 597 606", "phone", "694 597 606"),  # 3-3-3 mobile
    ("Eleni Pappa | 210 1863654", "phone", "210 1863654"),  # area code + subscriber
    ("Reach out at 275-98-08", "phone", "275-98-08"),  # "reach" counts as a phone word
    ("Is 385125651 still your number?", "phone", "385125651"),  # named on the right
    ("customer_phone=964633406&x=1", "phone", "964633406"),  # key name with a phone word
    ('{"phoneNumber": "0170 6690743"}', "phone", "0170 6690743"),
    ("T: 4472 2265", "phone", "4472 2265"),  # signature label
    ("Numbers to try: (06) 969 2706, 457 3143", "phone", "457 3143"),  # list continues
    ("Tél : 48182687", "phone", "48182687"),
    ("Phone: 2010 123 456", "phone", "2010 123 456"),  # year-like first group, phone word
    # Round 4: local numbers without an area code, where people write them.
    ("Nobody was picking up at 482 7713 this morning", "phone", "482 7713"),  # contact verb + at
    ("Try me on 61 04 87 tonight", "phone", "61 04 87"),  # six digits in groups
    ("Leave a message on 24 681357.", "phone", "24 681357"),
    ("Kind regards,\n\nMara Olsen\nSenior Buyer\n555 0134", "phone", "555 0134"),  # signature
    ("Cheers\nLot\n3924 7651\n", "phone", "3924 7651"),  # a name that is also an id noun
    ("See you.\n\nAdalberto del Mate\n333 425\nam@example.org", "phone", "333 425"),
    ("金凤兰\n5007 372", "phone", "5007 372"),  # a name in a caseless script
    ("ssn 078-05-1120 (voided)", "ssn", "078-05-1120"),
    ("visa 4111 1111 1111 1111 thanks", "card", "4111 1111 1111 1111"),
    ("visa 4111-1111-1111-1111", "card", "4111-1111-1111-1111"),
    ("amex 378282246310005", "card", "378282246310005"),
    ("amex 3782 822463 10005", "card", "3782 822463 10005"),
    ("mc 5555555555554444.", "card", "5555555555554444"),
    ("card 4111 1111 1111 1111 123 (cvv)", "card", "4111 1111 1111 1111"),
    ("iban DE89 3704 0044 0532 0130 00", "iban", "DE89 3704 0044 0532 0130 00"),
    ("iban GB82WEST12345698765432.", "iban", "GB82WEST12345698765432"),
    ("iban gb82 west 1234 5698 7654 32", "iban", "gb82 west 1234 5698 7654 32"),
    ("ssn 123-45-6789", "ssn", "123-45-6789"),
    ("ssn 123 45 6789", "ssn", "123 45 6789"),
    ("SSN: 123456789", "ssn", "123456789"),
    ("host 192.168.1.10 down", "ip", "192.168.1.10"),
    ("v6 2001:db8::8a2e:370:7334 up", "ip", "2001:db8::8a2e:370:7334"),
    ("v6 fe80::1:2:3 up", "ip", "fe80::1:2:3"),
]

SECRETS = [
    ("key sk-proj-AbC123dEf456GhI789jKl012MnO345 here", "openai_key"),
    ("key sk-AbC123dEf456GhI789jKl012MnO345pQr678sTu901vWx234 here", "openai_key"),
    ("key sk-ant-api03-AbC123dEf456GhI789jKl012MnO-xyz here", "anthropic_key"),
    ("aws AKIAIOSFODNN7EXAMPLE", "aws_access_key"),
    ("aws ASIAY34FZKBOKMUTVV7A", "aws_access_key"),
    ("gh ghp_abcdefghijklmnopqrstuvwxyz0123456789", "github_token"),
    ("gh gho_abcdefghijklmnopqrstuvwxyz0123456789", "github_token"),
    ("gh github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_token"),
    ("slack xoxb-123456789012-abcdefABCDEF", "slack_token"),
    ("slack xoxp-123456789012-abcdefABCDEF", "slack_token"),
    ("google AIzaSyA1234567890abcdefghijklmnopqrstuv", "google_api_key"),
    (
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9Pl",
        "jwt",
    ),
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc+/=\n-----END RSA PRIVATE KEY-----",
        "private_key",
    ),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA", "private_key"),
]

# Near misses: none of these may produce any PII or secret span.
NEGATIVES = [
    "card 4111 1111 1111 1112 fails luhn",
    "bad iban DE89 3704 0044 0532 0130 01 checksum",
    "ssn 000-12-3456 has area 000",
    "ssn 666-12-3456 and 900-12-3456 are never issued",
    "ssn 123-00-6789 group 00, 123-45-0000 serial 0000",
    "plain nine digits 123456789 without context",
    "version 1.2.3.4.5 and v2.3.4.5 released",
    "ip-like 256.1.1.1 and 1.2.3",
    "dates 2023-01-15, 01.02.2023, 15/10/2023 and 12:30:45",
    "order #48213, ORD-2024-000123, order 20240115-0042, ticket 12345",
    "timestamp 1700000000000 and 1700000000",
    "price 12 345 678 EUR and page 123 4567",
    "std::vector<int> and a::b in C++",
    "task-management-framework-for-teams is not a key",
    "sk-learn-compatible-estimator-interface",
    "mac 00:1A:2B:3C:4D:5E and loopback ::1",
    "account number 12345678 and order no. 2024 000123",  # identifiers, not phones
    "contact us about invoice 98765432",  # weak phone word, unbroken digits
    # Round 3: number-like strings that the shape rules must leave alone.
    "Customer ID 6268181363 opened ticket 482113",  # identifier label before NANP-like digits
    "Winning numbers: 09 13 29 30 37 48",  # six two-digit groups
    "Reference: REF 2024 123 456 approved",
    "Serial no. SN-4821-7732-1190",
    "Price: 12 345 678 EUR and 1 234 km",  # thousands grouping, units
    "population 1.234.567 in 2021",
    "GPS fix at 24.9920 53.8255, altitude 512 m",  # two decimals
    "Billing address: 03262 2437 Main St Suite 442",  # house number before a street
    "Member no. 4821-7732-1190 renewed",
    "ISBN 978-3-16-148410-0",
    "Opening hours 09:00-17:30, lunch 12:00-13:00",
    "Log 2023-10-15 14:30:00 pid=48213 took 532ms",
    "Account number 12345678, sort code 20-00-00",
    "ssn 900-12-3456 is never issued",  # SSN layout: a phone only with a phone word
    "Alex Moss, 72 128 827",  # thousands layout without a phone word: could be an amount
    "Filed as 2024 117 552 on Monday",  # a year first and no phone word: a reference
    "still wrong, my employee number is 4417 2209 118",  # an identifier's label, then "is"
    "date,temp,output 01-09-2020,100,5000,10 01-10-2020,120,4000,24",  # CSV fields and dates
    "date,prediction 01-12-2022,81 01-13-2022,60 01-14-2022,111",
    # Round 4: the same places with identifiers, times and amounts.
    "Sincerely,\nLisa Harris\nPO 29 83 49 23",  # an identifier's label on the number's line
    "Build 81 62 60 52 passed at 10:14",
    "Thanks,\nJo Wu\nInvoice 482 113",
    "Ticket 482 113 was answered at 10:40 by Jo",  # the contact verb comes after the number
    "Revenue\n482 113",  # one capitalised word over a number: a table, not a signature
    "The summit is at 4 810 m; we were on 12 400 users at noon",
]


@pytest.mark.parametrize(("text", "label", "value"), POSITIVES)
def test_pii_true_positives(text: str, label: str, value: str) -> None:
    spans = find_pii(pl.Series([text]))
    got = [(r["label"], text[r["start"] : r["end"]]) for r in spans.iter_rows(named=True)]
    assert (label, value) in got, got


@pytest.mark.parametrize(("text", "label"), SECRETS)
def test_secret_true_positives(text: str, label: str) -> None:
    spans = find_secrets(pl.Series([text]))
    assert spans["label"].to_list() == [label]


@pytest.mark.parametrize("text", NEGATIVES)
def test_near_misses_do_not_fire(text: str) -> None:
    spans = find_spans(pl.Series([text]))
    got = [(r["label"], text[r["start"] : r["end"]]) for r in spans.iter_rows(named=True)]
    assert got == []


def test_offsets_are_char_offsets_with_unicode() -> None:
    text = "héllo 日本語 — mail ü@exämple.com? no: bob@example.com"
    spans = find_pii(pl.Series([text]))
    assert [text[s:e] for s, e in spans.select("start", "end").iter_rows()] == ["bob@example.com"]


def test_overlap_priority_iban_beats_card() -> None:
    text = "DE89 3704 0044 0532 0130 00"
    assert find_spans(pl.Series([text]))["label"].to_list() == ["iban"]


def test_nulls_and_empty_column() -> None:
    assert find_pii(pl.Series([None, ""], dtype=pl.Utf8)).is_empty()
    assert find_pii(pl.Series([], dtype=pl.Utf8)).is_empty()


def test_unknown_label_raises() -> None:
    with pytest.raises(ValueError, match="unknown pattern label"):
        find_spans(pl.Series(["x"]), ["passport"])

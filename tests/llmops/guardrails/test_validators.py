"""Table-driven tests for the vectorized checksum validators."""

from __future__ import annotations

import polars as pl

from llmops.guardrails import validators as v


def test_luhn() -> None:
    cases = {
        "4111111111111111": True,
        "4111111111111112": False,
        "378282246310005": True,
        "5555555555554444": True,
        "6011111111111117": True,
        "79927398713": True,
        "79927398710": False,
        "": False,
    }
    got = v.luhn_valid(pl.Series(list(cases)))
    assert got.tolist() == list(cases.values())


def test_iban() -> None:
    cases = {
        "DE89 3704 0044 0532 0130 00": True,
        "DE89370400440532013001": False,  # checksum
        "GB82WEST12345698765432": True,
        "gb82west12345698765432": True,
        "GB82WEST1234569876543": False,  # length for GB is 22
        "XX82WEST12345698765432": False,  # unknown country
        "NO9386011117947": True,
        "FR1420041010050500013M02606": True,
    }
    assert v.iban_valid(pl.Series(list(cases))).tolist() == list(cases.values())


def test_ssn_ranges() -> None:
    cases = {
        "123456789": True,
        "000456789": False,
        "666456789": False,
        "912456789": False,
        "123006789": False,
        "123450000": False,
        "078051120": True,  # in range; voided, which ssn_example reports
    }
    assert v.ssn_valid(pl.Series(list(cases))).tolist() == list(cases.values())


def test_ssn_examples() -> None:
    cases = {"078051120": True, "219099999": True, "987654325": True, "123456789": False}
    assert v.ssn_example(pl.Series(list(cases))).tolist() == list(cases.values())


def test_ip_validators() -> None:
    v4 = {"10.0.0.1": True, "255.255.255.255": True, "256.1.1.1": False, "1.2.3": False}
    assert v.ipv4_valid(pl.Series(list(v4))).tolist() == list(v4.values())
    v6 = {"2001:db8::1": True, "::1": False, "1:2:3:4:5:6:7:8": True, "1::2::3": False}
    assert v.ipv6_valid(pl.Series(list(v6))).tolist() == list(v6.values())

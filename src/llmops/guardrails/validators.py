"""Checksum and range validators, vectorized with numpy over a whole column of candidates."""

from __future__ import annotations

import numpy as np
import polars as pl

# IBAN length per country, from the SWIFT IBAN registry (ISO 13616).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


def _char_matrix(values: pl.Series, width: int, fill: str = "0") -> np.ndarray:
    """Left-pad each string to `width` and view the column as an (n, width) uint8 matrix."""
    padded = values.str.pad_start(width, fill).str.slice(-width)
    if len(padded) == 0:
        return np.zeros((0, width), dtype=np.uint8)
    raw = "".join(padded.to_list()).encode("ascii", errors="replace")
    return np.frombuffer(raw, dtype=np.uint8).reshape(len(padded), width)


def digits_only(values: pl.Series) -> pl.Series:
    """Strip every non-digit character."""
    return values.str.replace_all(r"\D", "")


def luhn_valid(digits: pl.Series) -> np.ndarray:
    """Luhn (mod 10) check on strings of ASCII digits; leading zero padding does not change it."""
    width = 20
    m = _char_matrix(digits, width).astype(np.int16) - 48
    doubled = m * 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    # Rightmost digit (check digit) is at index width-1 and is not doubled.
    double_mask = (np.arange(width) % 2) == (width % 2)
    total = np.where(double_mask, doubled, m).sum(axis=1)
    return (total % 10 == 0) & (digits.str.len_chars().to_numpy() > 0)


def iban_valid(ibans: pl.Series) -> np.ndarray:
    """ISO 13616 check: known country, registered length, mod-97 == 1 (spaces ignored)."""
    compact = ibans.str.replace_all(" ", "").str.to_uppercase()
    country = compact.str.slice(0, 2)
    expected = country.replace_strict(IBAN_LENGTHS, default=0, return_dtype=pl.Int32).to_numpy()
    lengths = compact.str.len_chars().to_numpy()
    rearranged = compact.str.slice(4) + compact.str.slice(0, 4)
    width = 34
    m = _char_matrix(rearranged, width).astype(np.int64)
    is_digit = (m >= 48) & (m <= 57)
    is_letter = (m >= 65) & (m <= 90)
    value = np.where(is_digit, m - 48, m - 55)
    rem = np.zeros(len(compact), dtype=np.int64)
    for j in range(width):
        mult = np.where(is_letter[:, j], 100, 10)
        rem = (rem * mult + value[:, j]) % 97
    charset_ok = (is_digit | is_letter).all(axis=1)
    return (expected == lengths) & charset_ok & (rem == 1)


# SSNs that identify nobody but are widely printed: the two the SSA voided after they appeared
# in advertising (078-05-1120 on a wallet insert, 219-09-9999 in an SSA pamphlet) and the block
# 987-65-4320..4329 the SSA reserves for use in advertisements.
EXAMPLE_SSNS: tuple[str, ...] = ("078051120", "219099999", *(f"98765432{i}" for i in range(10)))


def ssn_valid(digits: pl.Series) -> np.ndarray:
    """US SSN ranges (SSA): area 001-899 except 666, group 01-99, serial 0001-9999."""
    d = digits.str.pad_start(9, "0")
    area = d.str.slice(0, 3).cast(pl.Int32).to_numpy()
    group = d.str.slice(3, 2).cast(pl.Int32).to_numpy()
    serial = d.str.slice(5, 4).cast(pl.Int32).to_numpy()
    return (area > 0) & (area != 666) & (area < 900) & (group > 0) & (serial > 0)


def ssn_example(digits: pl.Series) -> np.ndarray:
    """Publicly voided or advertising-reserved SSNs (EXAMPLE_SSNS): SSN-shaped, nobody's."""
    return digits.str.pad_start(9, "0").is_in(list(EXAMPLE_SSNS)).to_numpy()


def ipv4_valid(values: pl.Series) -> np.ndarray:
    """Four dotted decimal octets, each 0-255."""
    parts = values.str.split(".")
    n_parts = parts.list.len().to_numpy()
    octets = parts.list.eval(pl.element().cast(pl.Int32, strict=False))
    max_octet = octets.list.max().fill_null(999).to_numpy()
    return (n_parts == 4) & (max_octet <= 255)


def ipv6_valid(values: pl.Series) -> np.ndarray:
    """Eight hex groups, or 2-7 with exactly one '::' compression (and >= 4 hex digits)."""
    n_double = values.str.count_matches("::", literal=True).to_numpy()
    groups = values.str.replace_all("::", ":", literal=True).str.strip_chars(":").str.split(":")
    n_groups = groups.list.len().to_numpy()
    groups_ok = groups.list.eval(pl.element().str.contains(r"^[0-9A-Fa-f]{1,4}$")).list.all()
    no_triple = ~values.str.contains(":::", literal=True).to_numpy()
    # Require some substance: "a::b" or "::1" (loopback) are not worth reporting.
    enough = (values.str.count_matches(r"[0-9A-Fa-f]").to_numpy() >= 4) & (n_groups >= 2)
    full = (n_double == 0) & (n_groups == 8)
    compressed = (n_double == 1) & (n_groups <= 7)
    return (full | compressed) & groups_ok.fill_null(True).to_numpy() & no_triple & enough

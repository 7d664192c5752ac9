"""Phone numbers: as clinics type them in, and as a sheet shows them (masked)."""

from __future__ import annotations

import re

_PHONE_PUNCT = re.compile(r"[\s\-‐–—().（）]")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
# an area code (010, 02X, or 0 and three digits; never 00: that dials abroad) and a local
# number, which never starts with 0 (the trunk prefix)
_LANDLINE = re.compile(r"^(?:010|02[0-9]|0[3-9][0-9]{2})[1-9][0-9]{5,7}$")
# typed with a Chinese input method: full-width digits and plus sign
_FULLWIDTH = str.maketrans("０１２３４５６７８９＋", "0123456789+")


def normalise_phone(value: str) -> str:
    """The number as digits (13812345678, 01012345678), or ValueError for a number that
    cannot be dialled in mainland China: only the plainly impossible are refused, as a
    clinic's landlines come in every local length."""
    value = value.strip()
    if (len(value) == 11 and value.isascii() and value.isdigit() and value[0] == "1"
            and value[1] in "3456789"):
        return value   # a mobile number as most exports have it
    value = value.translate(_FULLWIDTH)
    if value.endswith(".0") and value[:-2].isdigit():  # a number cell read as a float
        value = value[:-2]
    digits = _PHONE_PUNCT.sub("", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("861"):
        digits = digits[2:]
    if (_MOBILE.match(digits) or _LANDLINE.match(digits)) and len(set(digits)) > 1:
        return digits
    raise ValueError("phone")


def mask_phone(phone: str) -> str:
    """138****5678: the first three and last four digits (last two for short numbers)."""
    keep = 4 if len(phone) >= 11 else 2
    return phone[:3] + "*" * max(len(phone) - 3 - keep, 1) + phone[-keep:]

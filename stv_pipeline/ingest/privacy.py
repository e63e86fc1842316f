"""CPR handling (DESIGN §6): keyed pseudonyms inside the loader, masking everywhere else."""

from __future__ import annotations

import hashlib
import re

CPR_PATTERN = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")
CPR_MASK = "XXXXXX-XXXX"
_BLOCK = 64  # SHA-256 block size in bytes


class PseudonymKeyMissing(Exception):
    """CPR numbers arrived but no pseudonymisation key is configured."""


def mask_cpr(text: str) -> str:
    """Replace anything shaped like a CPR number; used on every report, log line and error."""
    return CPR_PATTERN.sub(CPR_MASK, text)


def hmac_pads(key: str) -> dict[str, bytes]:
    """The inner and outer HMAC-SHA256 pads of `key` (RFC 2104), so DuckDB can compute the HMAC
    of every row in one vectorised expression instead of a Python loop over persons."""
    raw = key.encode("utf-8")
    if len(raw) > _BLOCK:
        raw = hashlib.sha256(raw).digest()
    raw = raw.ljust(_BLOCK, b"\0")
    return {
        "ipad": bytes(b ^ 0x36 for b in raw),
        "opad": bytes(b ^ 0x5C for b in raw),
    }


def hmac_sql(value: str) -> str:
    """SQL for hex HMAC-SHA256 of text `value`, with the pads bound as $ipad and $opad."""
    return f"sha256($opad || unhex(sha256($ipad || encode({value}))))"

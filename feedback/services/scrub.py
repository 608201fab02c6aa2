"""Remove personal data from free-text comments before they are stored.

Visitors are told not to include personal information; this catches what they
include anyway. Each match is replaced by a marker, so a reader sees that
something was removed but never what. The patterns err on the side of removing
(any run of 8+ digits goes), because a lost digit run costs nothing and a
stored passport number is a breach.
"""
from __future__ import annotations

import re

MARKER = "[removed]"

# Order matters: e-mails first (they contain digits), then SSNs and long digit runs
# (cards, passports, accounts, most phone numbers), then phone shapes the runs miss.
# Letter-prefixed document numbers go before the digit runs, which would leave the letter.
PATTERNS = (
    ("email", re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")),
    ("ssn", re.compile(r"(?<!\d)\d{3}[\s.\-]\d{2}[\s.\-]\d{4}(?!\d)")),
    ("document", re.compile(r"\b[A-Za-z]{1,2}\d{6,9}\b")),  # passport / licence numbers with a letter prefix
    ("digits", re.compile(r"(?<!\d)\+?\d(?:[\s.\-]?\d){7,}")),
    ("phone", re.compile(r"(?:\+?\d{1,3}[\s.\-]?)?\(\d{2,4}\)[\s.\-]?\d{3,4}[\s.\-]?\d{3,4}(?!\d)")),
    ("local_phone", re.compile(r"(?<![\d/:])\b\d{3}[\s.\-]\d{4}\b(?![/:]\d)")),
)


def scrub(text: str) -> str:
    """``text`` with personal data replaced by ``[removed]``."""
    for _name, pattern in PATTERNS:
        text = pattern.sub(MARKER, text)
    return text


def clean_comment(raw: str | None, max_length: int = 500) -> str | None:
    """Trimmed, scrubbed comment, or None when empty."""
    if raw is None:
        return None
    text = " ".join(raw.split())[:max_length]
    return scrub(text) or None

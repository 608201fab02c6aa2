"""Remove personal data from free-text comments before they are stored.

Visitors are told not to include personal information; this catches what they
include anyway. Each match is replaced by a marker, so a reader sees that
something was removed but never what. The patterns err on the side of removing
(any run of 8+ digits goes), because a lost digit run costs nothing and a
stored passport number is a breach.
"""

from __future__ import annotations

import re
import unicodedata

MARKER = "[removed]"

# Order matters: e-mails first (they contain digits), then SSNs, then phone numbers with an
# area code in brackets (before the digit runs, which would leave "(713)" or "+44 (0)" behind),
# then long digit runs (cards, passports, accounts, most phone numbers), then local numbers.
# Letter-prefixed document numbers go before the digit runs, which would leave the letter.
PATTERNS = (
    ("email", re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")),
    ("ssn", re.compile(r"(?<!\d)\d{3}[\s.\-]\d{2}[\s.\-]\d{4}(?!\d)")),
    ("document", re.compile(r"\b[A-Za-z]{1,2}\d{6,9}\b")),  # passport / licence numbers with a letter prefix
    # (713) 555-0134, +1 (713) 555-0134, +44 (0)20 7946 0958: brackets, then 6+ more digits.
    ("phone", re.compile(r"(?:(?<![\d+])\+?\d{1,4}[\s.\-]?)?\(\d{1,4}\)[\s.\-]?\d(?:[\s.\-]?\d){5,}")),
    ("digits", re.compile(r"(?<!\d)\+?\d(?:[\s.\-]?\d){7,}")),
    ("local_phone", re.compile(r"(?<![\d/:])\b\d{3}[\s.\-]\d{4}\b(?![/:]\d)")),
)


def scrub(text: str) -> str:
    """``text`` with personal data replaced by ``[removed]``."""
    for _name, pattern in PATTERNS:
        text = pattern.sub(MARKER, text)
    return text


def _plain(text: str) -> str:
    """Compatibility forms folded (full-width digits and dashes become ASCII), control characters
    (NUL, which PostgreSQL refuses, among them) made spaces, invisible format characters
    (zero-width spaces and joiners) removed, so they can neither break storage nor split a number
    past the patterns."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text if unicodedata.category(ch) != "Cf")


def clean_comment(raw: str | None, max_length: int = 500) -> str | None:
    """Trimmed, scrubbed comment cut to ``max_length``, or None when empty.

    Scrubbed before it is cut: cutting first could split an e-mail or number at the end
    so that the rest no longer matches a pattern and is kept.
    """
    if raw is None:
        return None
    text = scrub(" ".join(_plain(raw).split()))[:max_length].rstrip()
    return text or None

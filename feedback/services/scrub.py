"""Remove personal data from free-text comments before they are stored.

Visitors are told not to include personal information; this catches what they
include anyway. Each match is replaced by a marker, so a reader sees that
something was removed but never what. The patterns err on the side of removing
(any number of 9+ digits goes, and 7 or 8 unless they read as a date), because a lost digit run costs nothing and a
stored passport number is a breach.
"""

from __future__ import annotations

import re
import unicodedata

MARKER = "[removed]"

# Between the digit groups of one number: a space, dot, slash or underscore, or a dash of any
# kind with spaces around it or not ("713 - 555 - 0134", "123_45_6789", "713/555/0134").
_DASH = "\\-\u2010-\u2015\u2212"
_SEP = rf"(?:[ \t]*[{_DASH}][ \t]*|[ \t./_])"
_GROUP = r"(?:\(\d+\)|\d+)"

# Order matters: e-mails first (they contain digits), then letter-prefixed document numbers
# (passports, A-numbers, USCIS receipts: the digit rule would leave the letter behind), then
# numbers, weighed by :func:`_number`.
PATTERNS = (
    # Any script: jöhn@exämple.com, 用户@例子.广告; "jane.doe @ example.com" too.
    ("email", re.compile(r"[\w.%+'\-]+[ \t]?@[ \t]?[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}")),
    (
        "document",
        re.compile(
            r"\b(?:[A-Za-z]{1,2}|[A-Z]{3})[#\-]?\d{6,12}\b"  # AB1234567, c03005988, A-12345678, EAC1234567890
            r"|\b[A-Z](?:[ \t]{1,2}|[ \t]?[#\-][ \t]?)\d{6,12}\b"  # A 1234567, A# 123456789
            r"|\b[Aa][ \t#\-]{0,3}\d{3}[ \t\-]\d{3}[ \t\-]\d{3}\b"  # A-123-456-789, A# 123 456 789
            r"|\b[A-Za-z]\d{3,4}(?:[ \t\-]\d{3,4}){2,3}\b"  # licences: D123-4567-8901
        ),
    ),
    # Digit groups joined by separators or brackets, maybe after a "+": phone, SSN, card and
    # account numbers in every notation. Not inside a word (FY2026, I-130 keep their digits).
    ("number", re.compile(rf"(?<![\w+])\+?{_GROUP}(?:(?:{_SEP}|(?<=\))|(?=\())(?:{_GROUP}))*")),
)
_DIGITS = re.compile(r"\d+")


def _number(match: re.Match) -> str:
    """The marker for a run of digit groups that can be personal data, else the run unchanged.

    Nine or more digits always go (SSNs, phones with an area code, cards, passports, accounts);
    eight unless they read as a date (11/23/2026, 2026-11-23); seven unless split otherwise than
    a local phone number is (555-0134, 5550134 go; 12/1/2026 stays). Shorter runs are times,
    prices, counters, form numbers and dates.
    """
    text = match.group(0)
    groups = [len(g) for g in _DIGITS.findall(text)]
    total = sum(groups)
    if total >= 9 or (total == 8 and groups not in ([2, 2, 4], [4, 2, 2])):
        return MARKER
    if total == 7 and (groups in ([7], [3, 4]) or text.startswith("+")):
        return MARKER
    return text


def scrub(text: str) -> str:
    """``text`` with personal data replaced by ``[removed]``."""
    for name, pattern in PATTERNS:
        text = pattern.sub(_number if name == "number" else MARKER, text)
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

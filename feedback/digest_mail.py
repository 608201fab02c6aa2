"""The digest e-mail: the digest of ``services/digests.py`` rendered in the subscriber's language
as a plain-text part and an HTML part (the admin site's preview page shows the same HTML).

Needs an app context (templates, Flask-Babel); the scheduler's tick has one.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from flask import render_template
from flask_babel import force_locale, format_date, gettext
from flask_babel import format_datetime as babel_datetime
from markupsafe import Markup

from feedback import numbers
from feedback.services.digests import Digest, LocationLine
from feedback.services.mailer import Mailer


def helpers(base: str) -> dict[str, Any]:
    """What the digest templates call: formats in the current locale and absolute links."""
    return {
        "base": base,
        "pct": lambda share: numbers.format_percent(share) if share is not None else "—",
        "day": lambda d: format_date(d, "medium"),
        "moment": lambda m: babel_datetime(m, "medium", rebase=False) + " " + (m.tzname() or ""),
        "verdict_text": verdict_text,
        "change_text": change_text,
    }


def verdict_text(line: LocationLine) -> str:
    return {
        "met": gettext("Meets the target"),
        "not_met": gettext("Below the target"),
        "too_few": gettext("Too close to tell"),
        "no_target": gettext("No target set"),
        "no_data": gettext("No responses"),
    }.get(line.verdict, line.verdict)


def change_text(line: LocationLine) -> str:
    """CSAT now against the period before, in points ("+2.5 pts"), or a dash."""
    now, before = line.tally.csat, line.previous.csat
    if now is None or before is None:
        return "—"
    points = numbers.half_up((now - before) * 100, 1)
    return gettext("%(sign)s%(points)s pts", sign="+" if points > 0 else "", points=points)


def subject(digest: Digest) -> str:
    if digest.kind == "weekly":
        return gettext(
            "Your weekly feedback digest, %(start)s to %(end)s",
            start=format_date(digest.start, "medium"),
            end=format_date(digest.end, "medium"),
        )
    return gettext("Your daily feedback digest, %(day)s", day=format_date(digest.end, "medium"))


def html_fragment(digest: Digest, base: str, level: int = 3) -> Markup:
    """The digest's content as HTML without a page around it (the preview page embeds it)."""
    return Markup(render_template("digest/_content.html", digest=digest, level=level, **helpers(base)))


def compose(digest: Digest, language: str, mailer: Mailer, now: datetime) -> EmailMessage:
    """The multipart message (plain text, then HTML) of ``digest`` in ``language``."""
    with force_locale(language):
        title = subject(digest)
        text = render_template("digest/digest.txt", digest=digest, title=title, **helpers(mailer.public_url))
        html = render_template(
            "digest/email.html", digest=digest, title=title, lang=language, **helpers(mailer.public_url)
        )
    message = EmailMessage()
    message["Subject"] = f"[Counter feedback] {title}"
    message["From"] = mailer.sender
    message["To"] = digest.email
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid("digest", domain=mailer.sender.rpartition("@")[2] or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message

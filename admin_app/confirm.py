"""Destructive actions ask first (issue 16 item 6): rotating a survey link, revoking a kiosk,
marking comments as spam in bulk and deactivating a user.

One pattern: the action's form posts to the action. Without ``confirm=1`` the view answers
:func:`page`, a confirmation page saying what will stop working, with a form that posts the same
fields again plus ``confirm=1`` (no script needed). With script, ``static/admin/confirm.js``
shows the same words in a ``<dialog>`` before the form is sent and adds ``confirm=1`` itself;
the form's ``data-confirm-*`` attributes carry the words (macro ``confirm_form`` in
``admin/manage/_macros.html``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from admin_app.pages import admin_bp


def confirmed() -> bool:
    """Whether the posted form says the user has confirmed."""
    return request.form.get("confirm") == "1"


def page(
    *,
    title: str,
    consequences: Iterable[str],
    button: str,
    back: str,
    fields: Iterable[tuple[str, str]] = (),
    action: str | None = None,
) -> ResponseReturnValue:
    """The no-script confirmation page: ``consequences`` (what stops working), the button that
    posts ``fields`` again to ``action`` (this request's URL by default), and a way back."""
    return render_template(
        "admin/confirm.html",
        title=title,
        consequences=list(consequences),
        button=button,
        back=back,
        fields=list(fields),
        action=action or request.full_path.rstrip("?"),
    )


# --- what each action stops (the same words on the page and in the dialog) ---------------------


def deactivation_consequences(email: str) -> list[str]:
    return [
        _("%(email)s can no longer sign in: their sessions end at once, on every device.", email=email),
        _("Their personal API tokens are revoked: programs using them get 401."),
        _("They no longer receive alert e-mails or digests."),
    ]


def spam_consequences(count: int | None = None) -> list[str]:
    first = (
        ngettext(
            "%(num)d comment moves to the Spam tab.",
            "%(num)d comments move to the Spam tab.",
            count,
        )
        if count is not None
        else _("The selected comments move to the Spam tab.")
    )
    return [
        first,
        _("Their ratings stop counting in every score, chart, alert and export."),
        _("“Not spam” on the Spam tab puts them back."),
    ]


@admin_bp.context_processor
def _confirm_words() -> dict[str, Any]:
    return {"deactivation_consequences": deactivation_consequences, "spam_consequences": spam_consequences()}

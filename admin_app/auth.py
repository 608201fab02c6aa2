"""Sign-in, sign-out and password change for the admin site (Flask-Login)."""

from __future__ import annotations

import logging
import math
import threading
import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from limits import parse_many

from admin_app.forms import ConfirmForm, PasswordForm, SignInForm
from admin_app.pages import admin_bp
from admin_app.view_helpers import safe_next as _safe_next
from feedback import clock
from feedback.extensions import db, limiter, login_manager
from feedback.i18n import N_
from feedback.services import auth
from feedback.services.errors import InvalidInput

log = logging.getLogger(__name__)
login_manager.login_view = "admin.login"
_checking: threading.BoundedSemaphore | None = None  # password checks running in this process
login_manager.login_message = N_("Please sign in.")
login_manager.localize_callback = _  # the message is flashed (stored in the session) as text


@login_manager.user_loader
def load_user(session_id: str):
    """Every request: the cookie's user, unless that user's sessions were ended since."""
    return auth.session_user(db.session, session_id)


def _address_wait() -> int | None:
    """Count a sign-in attempt against the client's address: the seconds to wait when it is over
    ``LOGIN_LIMIT_PER_IP``, else None. Counted before the (deliberately slow) password check. Not
    Flask-Limiter's decorator, which would put its window's Retry-After on every answer. A rate
    limit store that cannot be reached lets the attempt through: each account and address is
    still locked by its own count in the database."""
    key = (current_app.config["RATELIMIT_KEY_PREFIX"], "sign-in", get_remote_address())
    try:
        for item in parse_many(current_app.config["LOGIN_LIMIT_PER_IP"]):
            if not limiter.limiter.hit(item, *key):
                reset, _remaining = limiter.limiter.get_window_stats(item, *key)
                return max(1, math.ceil(reset - time.time()))
    except Exception:  # any storage error: fail open, see above
        log.warning("sign-in rate limit store unreachable; attempt allowed", exc_info=True)
    return None


def _check_slot() -> bool:
    """Take one of this process's SIGN_IN_CONCURRENCY password-check slots, without waiting.

    A password check costs a quarter of a second of CPU on purpose; a burst of them (from many
    addresses) would take every thread of a worker and leave kiosk posts queued behind them.
    Beyond the slots a sign-in is answered at once with 429, and the threads stay free.
    """
    return _slots().acquire(blocking=False)


def _slots() -> threading.BoundedSemaphore:
    global _checking
    if _checking is None:
        _checking = threading.BoundedSemaphore(current_app.config["SIGN_IN_CONCURRENCY"])
    return _checking


def _page(form: SignInForm, status: int = 200, message: str | None = None, retry_after: int | None = None):
    if message:
        form.password.errors = [*form.password.errors, message]
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return render_template("admin/login.html", form=form), status, headers


@admin_bp.route("/login", methods=["GET", "POST"])
def login():
    form = SignInForm()
    if request.method != "POST":
        return _page(form)
    if not current_app.config["PASSWORD_SIGN_IN"]:  # single sign-on only (admin_app/sso.py)
        return _page(form, 403, _("Sign in with single sign-on."))
    wait = _address_wait()
    if wait:
        return _page(
            form,
            429,
            _("Too many sign-in attempts from your network. Try again in %(wait)s.", wait=auth.seconds(wait)),
            wait,
        )
    if not form.validate_on_submit():
        return _page(form, 422)
    if not _check_slot():
        return _page(form, 429, _("Many people are signing in right now. Try again in a second."), 1)
    try:
        user = auth.sign_in(db.session, form.email.data, form.password.data, now=clock.now())
    except auth.SignInRefused as exc:
        return _page(form, 429 if exc.retry_after else 401, exc.detail, exc.retry_after)
    finally:
        _slots().release()
    login_user(user)
    session.pop("sso", None)  # a password session: no provider groups to re-check
    return redirect(_safe_next(request.args.get("next")))


@admin_bp.post("/logout")
@login_required
def logout():
    if ConfirmForm().validate_on_submit():
        auth.sign_out(db.session, current_user)  # every session of this user, copies included
        logout_user()
        session.pop("sso", None)
    return redirect(url_for("admin.login"))


@admin_bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            user = auth.change_password(db.session, current_user, form.current_password.data, form.new_password.data)
        except InvalidInput as exc:
            for field, messages in exc.errors.items():
                getattr(form, field).errors.extend(messages)
        else:
            login_user(user)  # every other session ended with the change; this one goes on
            flash(_("Your password was changed. You were signed out everywhere else."))
            return redirect(url_for("admin.index"))
    return render_template("admin/password.html", form=form), 200 if request.method == "GET" else 422

"""Sign-in, sign-out and password change for the admin site (Flask-Login)."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from admin_app.forms import ConfirmForm, PasswordForm, SignInForm
from admin_app.pages import admin_bp
from feedback.extensions import db, login_manager
from feedback.models import User
from feedback.services import auth
from feedback.services.errors import InvalidInput

login_manager.login_view = "admin.login"
login_manager.login_message = "Please sign in."


@login_manager.user_loader
def load_user(user_id: str):
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the sign-in page cannot bounce anyone elsewhere.

    Browsers read a backslash as a slash and drop tabs and newlines, so ``/\\evil.example``
    or ``/<tab>/evil.example`` would leave the site: refuse those and any control character.
    """
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
        and not urlparse(target).netloc
    ):
        return target
    return url_for("admin.index")


@admin_bp.route("/login", methods=["GET", "POST"])
def login():
    form = SignInForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            user = auth.sign_in(db.session, form.email.data, form.password.data)
        except auth.SignInRefused as exc:
            form.password.errors.append(exc.detail)
            status = 429 if exc.retry_after else 401
            if exc.retry_after:
                headers["Retry-After"] = str(exc.retry_after)
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 422
    return render_template("admin/login.html", form=form), status, headers


@admin_bp.post("/logout")
@login_required
def logout():
    if ConfirmForm().validate_on_submit():
        logout_user()
    return redirect(url_for("admin.login"))


@admin_bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            auth.change_password(db.session, current_user, form.current_password.data, form.new_password.data)
        except InvalidInput as exc:
            for field, messages in exc.errors.items():
                getattr(form, field).errors.extend(messages)
        else:
            flash("Your password was changed.")
            return redirect(url_for("admin.index"))
    return render_template("admin/password.html", form=form), 200 if request.method == "GET" else 422

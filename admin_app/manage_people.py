"""Users (admins only), personal API tokens (everyone, their own) and the audit log (admins only)."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from admin_app import confirm as confirmation
from admin_app.filters import older_than
from admin_app.forms import ConfirmForm
from admin_app.manage_forms import TokenForm, UserCreateForm, UserScopeForm, option
from admin_app.pages import admin_bp
from admin_app.view_helpers import actor, admin_required, no_store, save, status
from feedback import clock
from feedback.extensions import db
from feedback.models import ApiToken, User
from feedback.services import api_tokens, audit, locations, offices, users

# --- users ------------------------------------------------------------------------------------


def _scope_choices(form: UserScopeForm) -> None:
    form.offices.choices = [option(o.id, o.name) for o in offices.all_offices(db.session)]
    form.locations.choices = [
        option(loc.id, f"{loc.code} \u2013 {loc.name} ({loc.office.name})")
        for loc in locations.all_locations(db.session)
    ]


@admin_bp.get("/users", endpoint="users")
@login_required
@admin_required
def user_list() -> ResponseReturnValue:
    rows = users.all_users(db.session)
    return render_template("admin/manage/users.html", users=rows, confirm=ConfirmForm())


@admin_bp.route("/users/new", methods=["GET", "POST"])
@login_required
@admin_required
def user_new() -> ResponseReturnValue:
    form = UserCreateForm(data={"role": "manager"} if request.method == "GET" else None)
    _scope_choices(form)
    if form.validate_on_submit() and save(
        form,
        lambda: users.create_user(
            db.session,
            actor(),
            email=form.email.data,
            role=form.role.data,
            password=form.password.data,
            office_ids=form.offices.data,
            location_ids=form.locations.data,
        ),
    ):
        flash(_("User %(email)s was created.", email=form.email.data.strip().lower()))
        return redirect(url_for("admin.users"))
    return render_template("admin/manage/user_form.html", form=form, user=None), status()


def _user_page(user: User, form: UserScopeForm, code: int) -> ResponseReturnValue:
    return render_template("admin/manage/user_form.html", form=form, user=user, confirm=ConfirmForm()), code


@admin_bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
@admin_required
def user_edit(user_id: int) -> ResponseReturnValue:
    user = db.session.get(User, user_id) or abort(404)
    data = {"role": user.role, "offices": [o.id for o in user.offices], "locations": [loc.id for loc in user.locations]}
    form = UserScopeForm(data=data if request.method == "GET" else None)
    _scope_choices(form)
    if form.validate_on_submit() and save(
        form,
        lambda: users.update_user(
            db.session,
            actor(),
            user.id,
            role=form.role.data,
            office_ids=form.offices.data,
            location_ids=form.locations.data,
        ),
        _("User %(email)s was saved.", email=user.email),
    ):
        return redirect(url_for("admin.users"))
    return _user_page(user, form, status())


def _set_active(user_id: int, active: bool) -> ResponseReturnValue:
    user = db.session.get(User, user_id) or abort(404)
    confirm = ConfirmForm()
    if (
        not active
        and user.active
        and user.id != actor().id
        and confirm.validate_on_submit()
        and not confirmation.confirmed()
    ):
        return confirmation.page(
            title=_("Deactivate %(email)s?", email=user.email),
            consequences=confirmation.deactivation_consequences(user.email),
            button=_("Deactivate the user"),
            back=url_for("admin.user_edit", user_id=user.id),
        )
    if confirm.validate_on_submit() and save(
        confirm,
        lambda: users.set_user_active(db.session, actor(), clock.now(), user.id, active),
        _("User %(email)s was reactivated.", email=user.email)
        if active
        else _("User %(email)s was deactivated.", email=user.email),
    ):
        return redirect(url_for("admin.users"))
    form = UserScopeForm(
        formdata=None,
        data={
            "role": user.role,
            "offices": [o.id for o in user.offices],
            "locations": [loc.id for loc in user.locations],
        },
    )
    _scope_choices(form)
    form.form_errors.extend(confirm.form_errors)
    return _user_page(user, form, 422)


@admin_bp.post("/users/<int:user_id>/deactivate")
@login_required
@admin_required
def user_deactivate(user_id: int) -> ResponseReturnValue:
    return _set_active(user_id, False)


@admin_bp.post("/users/<int:user_id>/activate")
@login_required
@admin_required
def user_activate(user_id: int) -> ResponseReturnValue:
    return _set_active(user_id, True)


# --- personal API tokens ----------------------------------------------------------------------

_NEW_TOKEN_KEY = "new_api_token"


@admin_bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> ResponseReturnValue:
    """The signed-in user's own tokens; a new token's secret is shown once.

    Post/redirect/get: the secret travels to the next GET in the (signed, HttpOnly)
    session and is popped there, so reloading the page neither shows it again nor
    re-posts the form and makes a second token.
    """
    form = TokenForm()
    made: list[tuple[ApiToken, str]] = []
    if form.validate_on_submit() and save(
        form, lambda: made.append(api_tokens.create_token(db.session, actor(), form.name.data))
    ):
        token, secret = made[0]
        session[_NEW_TOKEN_KEY] = {"id": token.id, "secret": secret}
        return redirect(url_for("admin.tokens"), 303)
    shown = session.pop(_NEW_TOKEN_KEY, None) if request.method == "GET" else None
    own = api_tokens.own_tokens(db.session, actor())
    new_token = next((t for t in own if shown and t.id == shown["id"]), None)
    page = render_template(
        "admin/manage/tokens.html",
        tokens=own,
        form=form,
        confirm=ConfirmForm(),
        new_token=new_token,
        secret=shown["secret"] if new_token and shown else None,
    )
    return no_store(make_response(page, status())) if new_token else make_response(page, status())


@admin_bp.post("/tokens/<int:token_id>/revoke")
@login_required
def token_revoke(token_id: int) -> ResponseReturnValue:
    if ConfirmForm().validate_on_submit():
        save(
            ConfirmForm(),
            lambda: api_tokens.revoke_token(db.session, actor(), clock.now(), token_id),
            _("The token was revoked; requests with it now get 401."),
        )
    return redirect(url_for("admin.tokens"))


# --- audit log --------------------------------------------------------------------------------


@admin_bp.get("/audit", endpoint="audit")
@login_required
@admin_required
def audit_log() -> ResponseReturnValue:
    before = older_than()
    rows, older = audit.page(db.session, before=before)
    return render_template(
        "admin/manage/audit.html", rows=rows, older=older, before=before, code_fields=audit.CODE_FIELDS
    )

"""Sign-in groups (admins only): which identity-provider group gives which role."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from admin_app.forms import ConfirmForm
from admin_app.manage_forms import SsoGroupForm, option
from admin_app.pages import admin_bp
from admin_app.view_helpers import actor, admin_required, save, status
from feedback.extensions import db
from feedback.services import offices, sso


@admin_bp.route("/sso-groups", methods=["GET", "POST"], endpoint="sso_groups")
@login_required
@admin_required
def sso_groups() -> ResponseReturnValue:
    form = SsoGroupForm()
    form.offices.choices = [option(o.id, o.name) for o in offices.all_offices(db.session)]
    if form.validate_on_submit() and save(
        form,
        lambda: sso.add_mapping(
            db.session, actor(), group_name=form.group_name.data, role=form.role.data, office_ids=form.offices.data
        ),
    ):
        flash(_("Group %(name)s was mapped.", name=form.group_name.data.strip()))
        return redirect(url_for("admin.sso_groups"))
    rows = sso.all_mappings(db.session)
    return render_template("admin/manage/sso_groups.html", form=form, mappings=rows, confirm=ConfirmForm()), status()


@admin_bp.post("/sso-groups/<int:mapping_id>/delete")
@login_required
@admin_required
def sso_group_delete(mapping_id: int) -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    save(ConfirmForm(), lambda: sso.remove_mapping(db.session, actor(), mapping_id), _("The group was removed."))
    return redirect(url_for("admin.sso_groups"))

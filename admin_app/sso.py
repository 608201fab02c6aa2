"""Single sign-on for the admin site: OpenID Connect through the agency's identity provider.

Authlib does the protocol: the authorization code flow with PKCE (S256), the provider's
discovery document (``OIDC_ISSUER``/.well-known/openid-configuration), ``state`` kept in this
session and used once, and the ID token's signature (the provider's JWKS), issuer, audience,
expiry and ``nonce`` checked. What the verified claims mean for the user is
feedback/services/sso.py. A signed-in session remembers its access token; each request older
than ``OIDC_RECHECK_SECONDS`` asks the provider's userinfo endpoint for the current groups, so a
group taken away ends access at the next request.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from admin_app.forms import SignInForm
from admin_app.pages import admin_bp
from admin_app.view_helpers import safe_next
from feedback import clock
from feedback.extensions import db, limiter
from feedback.services import sso

log = logging.getLogger(__name__)
SESSION_KEY = "sso"  # {"token": access token, "checked": epoch seconds of the last group check}


def _per_ip() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_IP"])


def _sso_key() -> str:
    # Its own count, beside the password form's: a refused callback writes an audit entry, so
    # unauthenticated requests here are limited per client address like password attempts.
    return f"sso:{get_remote_address()}"


def enabled() -> bool:
    return bool(current_app.config.get("OIDC_ISSUER"))


def _client() -> Any:
    """The Authlib client for the configured provider (one per issuer and client id)."""
    cfg = current_app.config
    key = (cfg["OIDC_ISSUER"], cfg["OIDC_CLIENT_ID"])
    clients = current_app.extensions.setdefault("feedback_sso_clients", {})
    if key not in clients:
        oauth = OAuth(current_app)
        clients[key] = oauth.register(
            "oidc",
            client_id=cfg["OIDC_CLIENT_ID"],
            client_secret=cfg["OIDC_CLIENT_SECRET"],
            server_metadata_url=f"{cfg['OIDC_ISSUER']}/.well-known/openid-configuration",
            client_kwargs={"scope": cfg["OIDC_SCOPES"], "code_challenge_method": "S256", "timeout": 10},
        )
    return clients[key]


@admin_bp.app_context_processor
def _sign_in_methods() -> dict[str, Any]:
    return {
        "sso_enabled": bool(current_app.config.get("OIDC_ISSUER")),
        "password_enabled": current_app.config.get("PASSWORD_SIGN_IN", True),
    }


def _refused(message: str) -> ResponseReturnValue:
    form = SignInForm()
    return render_template("admin/login.html", form=form, sso_error=message), 403


@admin_bp.get("/login/sso")
@limiter.limit(_per_ip, key_func=_sso_key)
def sso_login() -> ResponseReturnValue:
    """Send the browser to the provider; a fresh ``nonce`` (and Authlib's ``state`` and PKCE
    verifier) wait in this session for the answer."""
    if not enabled():  # not set up here: the sign-in page has the password form
        return redirect(url_for("admin.login"))
    session["sso_next"] = safe_next(request.args.get("next"))
    redirect_uri = url_for("admin.sso_callback", _external=True)
    return _client().authorize_redirect(redirect_uri, nonce=secrets.token_urlsafe(24))


@admin_bp.get("/login/sso/callback")
@limiter.limit(_per_ip, key_func=_sso_key)
def sso_callback() -> ResponseReturnValue:
    if not enabled():  # not set up here: the sign-in page has the password form
        return redirect(url_for("admin.login"))
    client = _client()
    try:
        # Checks state (and forgets it: a replay finds none), exchanges the code with the PKCE
        # verifier, verifies the ID token's signature, iss, aud, exp and nonce.
        token = client.authorize_access_token()
        access_token = token["access_token"]
        claims = dict(token.get("userinfo") or {})
        if not claims:
            raise ValueError("no ID token in the token response")
        groups_claim = current_app.config["OIDC_GROUPS_CLAIM"]
        if groups_claim not in claims:  # some providers put groups in userinfo only
            extra = client.userinfo(token=token)
            if extra.get("sub") == claims.get("sub"):
                claims[groups_claim] = extra.get(groups_claim)
    except Exception as exc:  # noqa: BLE001  any protocol or token failure is a refused sign-in
        log.warning("single sign-on refused: %s: %s", type(exc).__name__, exc)
        sso.refuse(db.session, f"{type(exc).__name__}: {str(exc)[:200]}")
        return _refused(_("Single sign-on failed. Try again."))
    try:
        user = sso.sign_in(db.session, claims, groups_claim=groups_claim, now=clock.now())
    except sso.SsoRefused as exc:
        return _refused(exc.detail)
    login_user(user)
    session[SESSION_KEY] = {"token": access_token, "checked": time.time()}
    return redirect(session.pop("sso_next", None) or url_for("admin.index"))


@admin_bp.before_app_request
def _recheck_groups() -> None:
    """A single sign-on session: re-read the groups from the provider when they are older than
    ``OIDC_RECHECK_SECONDS``; none mapped any more (or a token the provider no longer takes)
    signs the session out before the view runs."""
    if request.blueprint != admin_bp.name:  # never touch the session (and Vary) elsewhere
        return
    state = session.get(SESSION_KEY)
    if not state:
        return
    if not current_user.is_authenticated:
        session.pop(SESSION_KEY, None)
        return
    if not enabled():  # single sign-on switched off since: its groups can no longer be checked
        _end(_("Your single sign-on session ended. Please sign in again."))
        return
    if time.time() - state.get("checked", 0) < current_app.config["OIDC_RECHECK_SECONDS"]:
        return
    try:
        info = _client().userinfo(token={"access_token": state["token"], "token_type": "Bearer"})
    except Exception as exc:  # noqa: BLE001  expired or revoked token, provider away: sign in again
        log.info("single sign-on session ended: userinfo failed: %s", exc)
        _end(_("Your single sign-on session ended. Please sign in again."))
        return
    groups = sso.groups_of(info, current_app.config["OIDC_GROUPS_CLAIM"])
    version = current_user.session_version
    user = sso.recheck(db.session, current_user.id, groups, now=clock.now())
    if user is None:
        _end(_("Your access to this site was withdrawn."))
        return
    if user.session_version != version:
        login_user(user)  # the role changed (every other session ended); this one goes on
    session[SESSION_KEY] = {**state, "checked": time.time()}


def _end(message: str) -> None:
    logout_user()
    session.pop(SESSION_KEY, None)
    flash(message)

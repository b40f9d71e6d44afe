"""Sign in (throttled, with a lock per account and address), sign out (of the provider too after a single sign-on),
and change your own password."""
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from inclusive_access.blueprints.auth import bp, provider
from inclusive_access.blueprints.auth.forms import ChangePasswordForm, LoginForm
from inclusive_access.blueprints.commands import Page, onto_fields, saved, submit
from inclusive_access.domain import accounts, sign_in
from inclusive_access.domain.errors import LoginFailed, LoginThrottled
from inclusive_access.extensions import db
from inclusive_access.security import is_safe_next


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in. The one route with two commits, by design: the attempt is counted (and committed) where every
    worker sees it before the slow password hash, and no lock is held while the hash runs."""
    form, error = LoginForm(), None
    if form.validate_on_submit():
        rules = sign_in.SignInRules.from_mapping(current_app.config)
        try:
            attempt = sign_in.start_sign_in(db.session, form.username.data, request.remote_addr or "", rules)
            db.session.commit()
            user = sign_in.finish_sign_in(db.session, attempt, form.password.data, rules)
        except LoginThrottled as throttled:
            db.session.commit()  # the burst's one event
            return _throttled(form, throttled.retry_after)
        except LoginFailed:
            db.session.commit()  # the failure count and its event are kept
            error = rules.refusal()
        else:
            return signed_in(user)
    return login_page(form, error)


@bp.before_request
def refuse_passwords_when_switched_off():
    """With LOCAL_PASSWORDS_ENABLED false a posted password is refused before anything is counted or hashed."""
    if (request.endpoint == "auth.login" and request.method == "POST"
            and not current_app.config["LOCAL_PASSWORDS_ENABLED"]):
        return login_page(error="Signing in with a password is switched off for this service.", status=403)
    return None


def login_page(form: LoginForm | None = None, error: str | None = None, status: int = 200):
    """The sign-in page: the provider's button when one is configured, the password form unless switched off."""
    cfg, next_url = current_app.config, request.args.get("next")
    button = None
    if provider.configured():
        button = {"text": cfg["OIDC_BUTTON_TEXT"],
                  "url": url_for("auth.start_oidc_sign_in", next=next_url if is_safe_next(next_url) else None)}
    return render_template("auth/login.html", form=form or LoginForm(), error=error, provider_sign_in=button,
                           local_passwords=cfg["LOCAL_PASSWORDS_ENABLED"]), status


def _throttled(form: LoginForm, retry_after: int):
    minutes = -(-retry_after // 60)
    error = f"Too many sign-in attempts. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
    page, status = login_page(form, error, 429)
    return page, status, {"Retry-After": str(retry_after)}


def signed_in(user, next_url: str | None = None, id_token_hint: str | None = None):
    """Start the user's server-side session, whichever way they signed in, and commit; then on to where they were
    going. A single sign-on's session keeps the provider's ID token for its sign-out."""
    session.clear()  # a fresh session at every sign-in (no fixation)
    session["sid"] = accounts.start_session(db.session, user, id_token_hint=id_token_hint)
    login_user(user)
    db.session.commit()
    next_url = next_url or request.args.get("next")
    return redirect(next_url if is_safe_next(next_url) else url_for("referrals.index"), 303)


@bp.route("/change-password", methods=["GET", "POST"])
def change_password():
    if not current_app.config["LOCAL_PASSWORDS_ENABLED"]:
        abort(404)  # no password signs anyone in, so there is none to change
    form = ChangePasswordForm()
    if not form.is_submitted():
        return render_template("auth/change_password.html", form=form)
    return submit(form, lambda: accounts.change_password(
        db.session, current_user, form.current_password.data, form.new_password.data),
        Page(url_for("auth.change_password"), lambda errors: _change_page(form, errors)), _password_changed)


def _change_page(form: ChangePasswordForm, errors: dict):
    onto_fields(form, errors)
    return render_template("auth/change_password.html", form=form)


def _password_changed(token: str):
    session["sid"] = token  # this browser's new session; every other one has ended
    return saved("Your password has been changed. You have been signed out everywhere else.",
                 url_for("referrals.index"))


@bp.route("/logout", methods=["POST"])
def logout():
    return submit(None, lambda: accounts.end_session(db.session, session.get("sid"), current_user),
                  Page(url_for("auth.login"), lambda errors: abort(400)), _signed_out)


def _signed_out(id_token_hint: str | None):
    """Signed out here; a session that came through the provider goes on to end the provider's session too
    (RP-initiated logout), which sends the browser back to the sign-in page."""
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    if id_token_hint and provider.configured():
        back = current_app.config.get("OIDC_POST_LOGOUT_REDIRECT_URI") or url_for("auth.login", _external=True)
        if url := provider.end_session_url(id_token_hint, back):
            return redirect(url, 303)
    return redirect(url_for("auth.login"), 303)

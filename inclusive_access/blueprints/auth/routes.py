"""Sign in (with lockout) and sign out; both start or end a server-side session."""
from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from inclusive_access.blueprints.auth import bp
from inclusive_access.blueprints.auth.forms import LoginForm
from inclusive_access.domain import accounts
from inclusive_access.domain.errors import AccountLocked, LoginFailed
from inclusive_access.extensions import db
from inclusive_access.security import is_safe_next
from inclusive_access.template_filters import london


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    next_url = request.args.get("next")
    error = None
    if form.validate_on_submit():
        cfg = current_app.config
        try:
            user = accounts.authenticate(db.session, form.username.data, form.password.data,
                                         cfg["LOGIN_MAX_FAILURES"], timedelta(minutes=cfg["LOGIN_LOCKOUT_MINUTES"]))
        except AccountLocked as locked:
            error = ("This account is locked after too many failed sign-ins. "
                     f"Try again after {london(locked.until, '%H:%M')}.")
        except LoginFailed:
            error = "The username or password is not correct."
        else:
            session.clear()  # a fresh session at every sign-in (no fixation)
            session["sid"] = accounts.start_session(db.session, user)
            login_user(user)
            db.session.commit()
            return redirect(next_url if is_safe_next(next_url) else url_for("referrals.index"), 303)
        db.session.commit()  # the failure count and its event are kept
    return render_template("auth/login.html", form=form, error=error)


@bp.route("/logout", methods=["POST"])
def logout():
    accounts.end_session(db.session, session.get("sid"), current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"), 303)

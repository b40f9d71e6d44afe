"""Sign in (throttled, with a lock per account and address), sign out, and change your own password."""
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from inclusive_access.blueprints.auth import bp
from inclusive_access.blueprints.auth.forms import ChangePasswordForm, LoginForm
from inclusive_access.domain import accounts, sign_in
from inclusive_access.domain.errors import InvalidInput, LoginFailed, LoginThrottled
from inclusive_access.extensions import db
from inclusive_access.security import is_safe_next


@bp.route("/login", methods=["GET", "POST"])
def login():
    form, error = LoginForm(), None
    if form.validate_on_submit():
        rules = sign_in.SignInRules.from_mapping(current_app.config)
        try:
            attempt = sign_in.start_sign_in(db.session, form.username.data, request.remote_addr or "", rules)
            # Counted where every worker sees it before the slow hash, and no lock is held while the hash runs.
            db.session.commit()
            user = sign_in.finish_sign_in(db.session, attempt, form.password.data, rules)
        except LoginThrottled as throttled:
            db.session.commit()  # the burst's one event
            minutes = -(-throttled.retry_after // 60)
            error = f"Too many sign-in attempts. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
            return render_template("auth/login.html", form=form, error=error), 429, \
                {"Retry-After": str(throttled.retry_after)}
        except LoginFailed:
            db.session.commit()  # the failure count and its event are kept
            error = rules.refusal()
        else:
            session.clear()  # a fresh session at every sign-in (no fixation)
            session["sid"] = accounts.start_session(db.session, user)
            login_user(user)
            db.session.commit()
            next_url = request.args.get("next")
            return redirect(next_url if is_safe_next(next_url) else url_for("referrals.index"), 303)
    return render_template("auth/login.html", form=form, error=error)


@bp.route("/change-password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            token = accounts.change_password(db.session, current_user, form.current_password.data,
                                             form.new_password.data)
        except InvalidInput as exc:
            for field, message in exc.errors.items():
                getattr(form, field).errors.append(message)
        else:
            db.session.commit()
            session["sid"] = token  # this browser's new session; every other one has ended
            flash("Your password has been changed. You have been signed out everywhere else.", "success")
            return redirect(url_for("referrals.index"), 303)
    return render_template("auth/change_password.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    accounts.end_session(db.session, session.get("sid"), current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"), 303)

"""The manager's user administration: list, add, change role, set a temporary password, deactivate."""
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from inclusive_access.blueprints.admin import bp
from inclusive_access.blueprints.admin.forms import ChangeRoleForm, DeactivateForm, NewUserForm, ResetPasswordForm
from inclusive_access.domain import accounts
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.errors import InvalidInput, StaleRecord
from inclusive_access.extensions import db
from inclusive_access.models import User


@bp.route("/users")
def list_users():
    return render_template("admin/users.html", users=accounts.all_users(db.session), role_form=ChangeRoleForm(),
                           deactivate_form=DeactivateForm())


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(db.session, actor_for(current_user), form.username.data,
                                        form.display_name.data, form.role.data, form.password.data)
        except InvalidInput as exc:
            for field, message in exc.errors.items():
                getattr(form, field).errors.append(message)
        else:
            db.session.commit()
            flash(f"Account {user.username} created with the {user.role} role. The password is temporary: they "
                  "choose their own when they first sign in.", "success")
            return redirect(url_for("admin.list_users"), 303)
    return render_template("admin/new_user.html", form=form)


def _user_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.route("/users/<int:user_id>/role", methods=["POST"])
def change_role(user_id: int):
    user, form = _user_or_404(user_id), ChangeRoleForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        accounts.change_role(db.session, actor_for(current_user), user, form.role.data, form.version.data)
    except StaleRecord:
        abort(409)
    db.session.commit()
    flash(f"{user.username} now has the {user.role} role and must sign in again.", "success")
    return redirect(url_for("admin.list_users"), 303)


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def deactivate_user(user_id: int):
    user, form = _user_or_404(user_id), DeactivateForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        accounts.deactivate_user(db.session, actor_for(current_user), user, form.version.data)
    except StaleRecord:
        abort(409)
    except InvalidInput as exc:
        flash(next(iter(exc.errors.values())), "error")
        return redirect(url_for("admin.list_users"), 303)
    db.session.commit()
    flash(f"{user.username} is deactivated and signed out everywhere.", "success")
    return redirect(url_for("admin.list_users"), 303)


@bp.route("/users/<int:user_id>/reset-password", methods=["GET", "POST"])
def reset_password(user_id: int):
    user, form = _user_or_404(user_id), ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(db.session, actor_for(current_user), user, form.password.data, form.version.data)
        except StaleRecord:
            abort(409)
        except InvalidInput as exc:
            form.password.errors.append(exc.errors["password"])
        else:
            db.session.commit()
            flash(f"{user.username} has a temporary password and is signed out everywhere. Give it to them "
                  "privately: they must choose their own when they next sign in.", "success")
            return redirect(url_for("admin.list_users"), 303)
    return render_template("admin/reset_password.html", form=form, user=user)

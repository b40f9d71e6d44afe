"""The manager's user administration: list, add, change role, set a temporary password, deactivate."""
from flask import abort, render_template, url_for
from flask_login import current_user

from inclusive_access.blueprints.admin import bp
from inclusive_access.blueprints.admin.forms import ChangeRoleForm, DeactivateForm, NewUserForm, ResetPasswordForm
from inclusive_access.blueprints.commands import Page, elsewhere, onto_fields, saved, submit
from inclusive_access.domain import accounts
from inclusive_access.domain.actors import actor_for
from inclusive_access.extensions import db
from inclusive_access.models import User


@bp.route("/users")
def list_users():
    return render_template("admin/users.html", users=accounts.all_users(db.session), role_form=ChangeRoleForm(),
                           deactivate_form=DeactivateForm())


def _user_page(template: str, form, **context) -> Page:
    def show(errors: dict):
        onto_fields(form, errors)
        return render_template(template, form=form, **context)

    return Page(url_for("admin.list_users"), show, "user account")


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = NewUserForm()
    if not form.is_submitted():
        return render_template("admin/new_user.html", form=form)
    return submit(form, lambda: accounts.create_user(
        db.session, actor_for(current_user), form.username.data, form.display_name.data, form.role.data,
        form.password.data), _user_page("admin/new_user.html", form),
        lambda user: saved(f"Account {user.username} created with the {user.role} role. The password is temporary: "
                           "they choose their own when they first sign in.", url_for("admin.list_users")))


def _user_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


def _user_list() -> Page:
    """The user list, where the role and deactivate buttons are: a refusal is flashed there."""
    return elsewhere(url_for("admin.list_users"), "user account")


@bp.route("/users/<int:user_id>/role", methods=["POST"])
def change_role(user_id: int):
    user, form = _user_or_404(user_id), ChangeRoleForm()
    if not form.validate_on_submit():
        abort(400)  # a tampered button: the list offers only valid roles
    return submit(None, lambda: accounts.change_role(
        db.session, actor_for(current_user), user, form.role.data, form.version.data), _user_list(),
        lambda _: saved(f"{user.username} now has the {user.role} role and must sign in again.",
                        url_for("admin.list_users")))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def deactivate_user(user_id: int):
    user, form = _user_or_404(user_id), DeactivateForm()
    if not form.validate_on_submit():
        abort(400)
    return submit(None, lambda: accounts.deactivate_user(db.session, actor_for(current_user), user, form.version.data),
                  _user_list(),
                  lambda _: saved(f"{user.username} is deactivated and signed out everywhere.",
                                  url_for("admin.list_users")))


@bp.route("/users/<int:user_id>/reset-password", methods=["GET", "POST"])
def reset_password(user_id: int):
    user, form = _user_or_404(user_id), ResetPasswordForm()
    if not form.is_submitted():
        return render_template("admin/reset_password.html", form=form, user=user)
    return submit(form, lambda: accounts.reset_password(
        db.session, actor_for(current_user), user, form.password.data, form.version.data),
        _user_page("admin/reset_password.html", form, user=user),
        lambda _: saved(f"{user.username} has a temporary password and is signed out everywhere. Give it to them "
                        "privately: they must choose their own when they next sign in.", url_for("admin.list_users")))

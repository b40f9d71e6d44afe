"""Forms for adding users, changing their role and setting a temporary password."""
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, Regexp

from inclusive_access.domain.access import ROLE_NAMES

ROLE_CHOICES = [SelectChoice(role, name) for role, name in ROLE_NAMES.items()]


class NewUserForm(FlaskForm):
    username = StringField("Username", validators=[
        InputRequired("Enter a username"), Length(max=64),
        Regexp(r"^[a-z0-9._-]+$", message="Use lower-case letters, numbers, dots, dashes or underscores")])
    display_name = StringField("Full name", validators=[
        InputRequired("Enter the person's name"), Length(max=120),
        # PostgreSQL refuses NUL bytes in text; no control character belongs in a name
        Regexp(r"^[^\x00-\x1f\x7f]+$", message="Remove the special characters from the name")])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[InputRequired("Select a role")])
    password = PasswordField("Temporary password", validators=[
        InputRequired("Enter a temporary password"), Length(min=12, max=256, message="Use 12 to 256 characters")])


class ChangeRoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[InputRequired("Select a role")])
    version = IntegerField(validators=[InputRequired()])


class DeactivateForm(FlaskForm):
    version = IntegerField(validators=[InputRequired()])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("Temporary password", validators=[
        InputRequired("Enter a temporary password"), Length(max=256, message="Use 256 characters or fewer")])
    version = IntegerField(validators=[InputRequired()])

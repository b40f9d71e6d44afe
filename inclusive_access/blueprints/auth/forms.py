"""Sign-in and change-password forms."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Regexp


class LoginForm(FlaskForm):
    # No control characters: PostgreSQL refuses a NUL byte in a query with an error, not a mismatch.
    username = StringField("Username", validators=[InputRequired("Enter your username"), Length(max=64),
                                                   Regexp(r"^[^\x00-\x1f\x7f]*$", message="Enter your username")])
    password = PasswordField("Password", validators=[InputRequired("Enter your password"), Length(max=256)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[
        InputRequired("Enter your current password"), Length(max=256)])
    # The length and common-password rules are the domain's (accounts.password_problem), applied to every password.
    new_password = PasswordField("New password", validators=[
        InputRequired("Enter a new password"), Length(max=256, message="Use 256 characters or fewer")])
    confirm_password = PasswordField("Confirm your new password", validators=[
        InputRequired("Enter your new password again"),
        EqualTo("new_password", message="The new passwords do not match")])

"""Sign-in form."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length, Regexp


class LoginForm(FlaskForm):
    # No control characters: PostgreSQL refuses a NUL byte in a query with an error, not a mismatch.
    username = StringField("Username", validators=[InputRequired("Enter your username"), Length(max=64),
                                                   Regexp(r"^[^\x00-\x1f\x7f]*$", message="Enter your username")])
    password = PasswordField("Password", validators=[InputRequired("Enter your password"), Length(max=256)])

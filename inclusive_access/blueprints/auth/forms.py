"""Sign-in form."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired("Enter your username"), Length(max=64)])
    password = PasswordField("Password", validators=[InputRequired("Enter your password"), Length(max=256)])

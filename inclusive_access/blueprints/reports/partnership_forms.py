"""The partnership review forms: their fields are read by the domain (domain/partnership_reviews.py), so each form
carries only what guards the save: the one-time token of a new record, or the version of the one edited."""
from flask_wtf import FlaskForm

from inclusive_access.blueprints.forms_common import token_field, version_field


class NewRecordForm(FlaskForm):
    """A meeting or an action: a second submit finds what the first made."""

    submission_token = token_field()


class EditForm(FlaskForm):
    """The minutes edited, or an action marked done: a save from an older page is refused."""

    version = version_field()

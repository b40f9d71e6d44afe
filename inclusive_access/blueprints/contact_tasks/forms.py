"""The form that closes a contact problem."""
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from inclusive_access.blueprints.forms_common import plain_text, strip, version_field
from inclusive_access.domain.contact_tasks import NOTE_LIMIT


class CloseForm(FlaskForm):
    note = TextAreaField("What did you do?", filters=[strip], validators=plain_text(
        NOTE_LIMIT, "Say what you did: the details you updated, or the call you made", multiline=True))
    version = version_field()

"""Forms for logging a contact attempt and closing a clarification."""
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired

from inclusive_access.blueprints.forms_common import choices, plain_text, strip, token_field, version_field
from inclusive_access.domain.clarification import CHANNELS


class AttemptForm(FlaskForm):
    method = RadioField("How did you try to contact them?", choices=choices(CHANNELS),
                        validators=[InputRequired("Select how you tried to contact them")])
    reached = RadioField("Did you reach them?", choices=choices({"yes": "Yes", "no": "No"}),
                         validators=[InputRequired("Select whether you reached them")])
    note = TextAreaField("Note (optional)", validators=plain_text(2000, multiline=True))
    submission_token = token_field()


class CloseForm(FlaskForm):
    response = TextAreaField("The referrer's answer", validators=plain_text(4000, multiline=True), filters=[strip])
    close_reason = TextAreaField("Or: why close without an answer?", validators=plain_text(4000, multiline=True),
                                 filters=[strip])
    version = version_field()

"""The reconciliation forms: each a button with the record's version, and the undo's reason."""
from flask_wtf import FlaskForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import InputRequired

from inclusive_access.blueprints.forms_common import plain_text, strip, version_field


class LinkForm(FlaskForm):
    referral_id = IntegerField(validators=[InputRequired("Choose a referral to link the record to")])
    version = version_field()


class ReferForm(FlaskForm):
    patient_id = IntegerField(validators=[InputRequired("Choose the patient the record is")])
    version = version_field()


class NewPatientForm(FlaskForm):
    version = version_field()


class UndoForm(FlaskForm):
    reason = TextAreaField("Why the link was wrong",
                           validators=plain_text(1000, "Say why the link was wrong", multiline=True), filters=[strip])
    version = version_field()

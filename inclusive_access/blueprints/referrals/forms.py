"""Filters for the referral list (a GET form: bookmarkable, and works without JavaScript)."""
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from inclusive_access.models import REFERRAL_STATES


class ReferralFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only GET filter

    pathway = SelectField("Pathway", choices=[], validate_choice=True, validators=[Optional()])
    state = SelectField("State", choices=[("", "Any state")] + [(s, s.replace("_", " ").capitalize())
                                                               for s in REFERRAL_STATES],
                        validators=[Optional()])
    flagged = SelectField("Inequality flags", choices=[("", "Flagged or not"), ("yes", "Flagged only"),
                                                       ("no", "Not flagged")], validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1)], default=1)

"""Filters for the referral list (a GET form: bookmarkable, and works without JavaScript)."""
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField
from wtforms.validators import Optional

from inclusive_access.models import REFERRAL_STATES


class ReferralFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only GET filter

    pathway = SelectField("Pathway", choices=[], validate_choice=True, validators=[Optional()])
    state = SelectField("State", choices=[SelectChoice("", "Any state")] + [
        SelectChoice(s, s.replace("_", " ").capitalize()) for s in REFERRAL_STATES], validators=[Optional()])
    flagged = SelectField("Inequality flags", choices=[
        SelectChoice("", "Flagged or not"), SelectChoice("yes", "Flagged only"), SelectChoice("no", "Not flagged")],
        validators=[Optional()])

    def set_pathways(self, pathways: dict[str, str]) -> None:
        self.pathway.choices = [SelectChoice("", "All pathways")] + [SelectChoice(c, n) for c, n in pathways.items()]

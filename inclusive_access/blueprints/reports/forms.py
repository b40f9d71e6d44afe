"""The dashboard's selectors (a GET form: bookmarkable, and works without JavaScript)."""
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Optional, Regexp

from inclusive_access.blueprints.forms_common import choices
from inclusive_access.reporting.tables import SEGMENT_LABELS

MONTH = Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message="Enter a month as YYYY-MM")


class DashboardForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only GET filter

    period = SelectField("Period", choices=[], validators=[Optional()])
    first = StringField("From (month)", validators=[Optional(), MONTH])
    last = StringField("To (month)", validators=[Optional(), MONTH])
    pathway = SelectField("Pathway", choices=[], validators=[Optional()])
    segment = SelectField("Break down by", choices=choices(SEGMENT_LABELS), validators=[Optional()],
                          default="imd_quintile")
    shared = SelectField("View", choices=choices({"": "Internal (all counts)",
                                                  "yes": "For sharing (counts of 1 to 7 shown as *)"}),
                         validators=[Optional()])

    def set_options(self, periods: dict[str, str], pathways: dict[str, str]) -> None:
        self.period.choices = choices(periods)
        self.pathway.choices = [SelectChoice("", "All pathways")] + choices(pathways)

"""The dashboard's and the quarterly review's selectors (GET forms: bookmarkable, and work without JavaScript), and
the governance forms."""
from flask import current_app
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional, Regexp, ValidationError

from inclusive_access.blueprints.forms_common import choices, plain_text, strip, version_field
from inclusive_access.domain import segments
from inclusive_access.domain.governance import Plan
from inclusive_access.reporting import behind, outcome_queries
from inclusive_access.reporting.outreach_queries import BREAKDOWNS
from inclusive_access.reporting.tables import CROSS_SEGMENTS, MEASURE_LABELS, SEGMENT_LABELS

#: the outreach page's breakdowns: key -> label
OUTREACH_BREAKDOWNS = {key: b.label for key, b in BREAKDOWNS.items()}
MONTH = Regexp(r"^\d{4}-(0[1-9]|1[0-2])\Z", message="Enter a month as YYYY-MM")


class DashboardForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only GET filter

    period = SelectField("Period", choices=[], validators=[Optional()])
    first = StringField("From (month)", validators=[Optional(), MONTH])
    last = StringField("To (month)", validators=[Optional(), MONTH])
    pathway = SelectField("Pathway", choices=[], validators=[Optional()])
    segment = SelectField("Break down by", choices=choices(SEGMENT_LABELS), validators=[Optional()],
                          default=segments.IMD_QUINTILE.key)
    cross = SelectField("Intersectional table: IMD quintile by",
                        choices=choices({k: SEGMENT_LABELS[k] for k in CROSS_SEGMENTS}), validators=[Optional()],
                        default=segments.ETHNIC_GROUP.key)
    measure = SelectField("Intersectional table: measure", choices=choices(MEASURE_LABELS), validators=[Optional()],
                          default="accepted")
    shared = SelectField("View", choices=choices({"": "Internal (all counts)",
                                                  "yes": "For sharing (counts of 1 to 7 shown as *)"}),
                         validators=[Optional()])

    def set_options(self, periods: dict[str, str], pathways: dict[str, str]) -> None:
        self.period.choices = choices(periods)
        self.pathway.choices = [SelectChoice("", "All pathways")] + choices(pathways)


class OutreachForm(DashboardForm):
    """The outreach evidence page's selectors: the dashboard's period and sharing view, and its own breakdowns."""

    breakdown = SelectField("Break down by", choices=choices(OUTREACH_BREAKDOWNS), validators=[Optional()],
                            default="partner")


class QuarterForm(FlaskForm):
    """The quarterly review's one selector (a GET form)."""

    class Meta:
        csrf = False  # a read-only GET filter

    quarter = SelectField("Quarter", choices=[], validators=[Optional()])


class ReferralsBehindForm(DashboardForm):
    """The dashboard's selectors, then the figure and the cell it sits in: `value` is a value of the breakdown
    (`segment`), `cross_value` one of the intersectional table's columns (`cross`), `quintile` an IMD quintile, and
    `contacted` the month of first contact (instead of the months received). Values as behind.value_key gives them."""

    figure = SelectField("Figure", choices=choices(behind.FIGURES), validators=[InputRequired("Name the figure")])
    value = StringField("Value", validators=[Optional()])
    cross_value = StringField("Intersectional value", validators=[Optional()])
    quintile = StringField("IMD quintile", validators=[Optional()])
    contacted = StringField("Month of first contact", validators=[Optional(), MONTH])
    #: the questionnaire an outcome figure is about
    instrument = StringField("Questionnaire", validators=[Optional()])
    page = IntegerField("Page", validators=[Optional(), NumberRange(min=1, message="Pages start at 1")])

    def validate_figure(self, field) -> None:
        if field.data in outcome_queries.NEEDS_INSTRUMENT and not self.instrument.data:
            raise ValidationError("Name the questionnaire")

    def validate_instrument(self, field) -> None:
        if field.data not in current_app.extensions["instruments"]:
            raise ValidationError(f"There is no questionnaire {field.data!r}")

    def breakdowns(self) -> dict[str, str]:
        """Each value field -> the segment it is a value of (the dashboard's defaults where a selector is empty)."""
        return {"value": self.segment.data or segments.IMD_QUINTILE.key,
                "cross_value": self.cross.data or segments.ETHNIC_GROUP.key, "quintile": segments.IMD_QUINTILE.key}

    def validate_value(self, field) -> None:
        self._known(field)

    def validate_cross_value(self, field) -> None:
        self._known(field)

    def validate_quintile(self, field) -> None:
        self._known(field)

    def _known(self, field) -> None:
        segment = self.breakdowns()[field.name]
        try:
            behind.segment_value(segment, field.data)
        except KeyError:
            raise ValidationError(f"{SEGMENT_LABELS.get(segment, segment)} has no value {field.data!r}") from None

    def cell(self, period) -> behind.Cell:
        """The referrals the figure counts: in `period`, with the cell's values, on the questionnaire's pathways."""
        return behind.Cell(period, self.cell_values(), self.contacted.data or None,
                           current_app.extensions["instruments"].get(self.instrument.data))

    def cell_values(self) -> tuple[tuple[str, object], ...]:
        """The cell's segment values, (segment key, value), for those given."""
        return tuple((segment, behind.segment_value(segment, getattr(self, name).data))
                     for name, segment in self.breakdowns().items() if getattr(self, name).data)


class PlanForm(FlaskForm):
    """The manager's response to a KPI breach (DOMAIN.md's governance record)."""

    variance_explanation = TextAreaField("Variance explanation", filters=[strip], validators=plain_text(
        4000, "Explain the variance", multiline=True))
    corrective_action = TextAreaField("Corrective action", filters=[strip], validators=plain_text(
        4000, "Describe the corrective action", multiline=True))
    lead_name = StringField("Named lead", filters=[strip], validators=plain_text(120, "Name the lead for the action"))
    due_date = DateField("Action due by", format="%Y-%m-%d",
                         validators=[InputRequired("Enter the date the action is due")])
    remeasure_month = StringField("Month to re-measure (YYYY-MM)", filters=[strip],
                                  validators=[InputRequired("Enter the month to re-measure as YYYY-MM"), MONTH])
    version = version_field()

    def plan(self) -> Plan:
        return Plan(self.variance_explanation.data or "", self.corrective_action.data or "",
                    self.lead_name.data or "", self.due_date.data, self.remeasure_month.data or "")


class CloseItemForm(FlaskForm):
    closure_note = TextAreaField("Closure note", filters=[strip], validators=plain_text(
        4000, "Write the closure note", multiline=True))
    version = version_field()

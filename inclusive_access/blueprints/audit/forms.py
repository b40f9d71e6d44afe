"""Drawing a sample, and one record's finding (a radio group per checklist item)."""
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional, Regexp

from inclusive_access.blueprints.forms_common import choices, plain_text, strip, token_field
from inclusive_access.domain.audit_findings import ANSWERS, CHECKLISTS, FindingDetails
from inclusive_access.domain.audit_sampling import (
    ALLOCATIONS,
    MAX_SIZE,
    PRIME,
    RECORD_TYPES,
    SEGMENT_LABELS,
    SampleRequest,
)

MONTH = Regexp(r"^\d{4}-(0[1-9]|1[0-2])\Z", message="Enter the month as YYYY-MM")


class SampleForm(FlaskForm):
    record_type = SelectField("Records to sample", choices=choices({"": "Select the kind of record", **RECORD_TYPES}),
                              validators=[InputRequired("Select the kind of record to sample")])
    first_month = StringField("From (month)", filters=[strip],
                              validators=[InputRequired("Enter the month as YYYY-MM"), MONTH])
    last_month = StringField("To (month)", filters=[strip],
                             validators=[InputRequired("Enter the month as YYYY-MM"), MONTH])
    pathway = SelectField("Pathway", choices=[], validators=[Optional()])
    segment = SelectField("Only records in this segment (optional)",
                          choices=choices({"": "All records", **SEGMENT_LABELS}), validators=[Optional()])
    segment_value = StringField("Segment value", filters=[strip], validators=plain_text(40))
    stratify_by = SelectField("Stratify by (optional)", choices=choices({"": "Do not stratify", **SEGMENT_LABELS}),
                              validators=[Optional()])
    allocation = SelectField("Allocation across strata", choices=choices({"": "Not stratified", **ALLOCATIONS}),
                             validators=[Optional()])
    size = IntegerField("Sample size", validators=[
        InputRequired(f"Enter a sample size from 1 to {MAX_SIZE}"),
        NumberRange(1, MAX_SIZE, f"Enter a sample size from 1 to {MAX_SIZE}")])
    seed = IntegerField("Seed", validators=[InputRequired(f"Enter a seed from 0 to {PRIME - 1:,}"),
                                            NumberRange(0, PRIME - 1, f"Enter a seed from 0 to {PRIME - 1:,}")])
    submission_token = token_field()

    def set_pathways(self, pathways: dict[str, str]) -> None:
        self.pathway.choices = [SelectChoice("", "All pathways")] + choices(pathways)

    def request(self) -> SampleRequest:
        return SampleRequest(self.record_type.data, self.first_month.data, self.last_month.data, self.size.data,
                             self.seed.data, self.pathway.data or None, self.segment.data or None,
                             self.segment_value.data or None, self.stratify_by.data or None,
                             self.allocation.data or None)


def finding_form(record_type: str) -> type[FlaskForm]:
    """A form class with one required radio group per item of the record type's checklist."""

    class FindingForm(FlaskForm):
        note = TextAreaField("Note (optional)", filters=[strip], validators=plain_text(4000, multiline=True))
        reason = TextAreaField("Reason for revising the finding", filters=[strip],
                               validators=plain_text(4000, multiline=True))
        version = IntegerField(validators=[Optional()])

        def details(self) -> FindingDetails:
            return FindingDetails({item: self[f"item_{item}"].data for item in CHECKLISTS[record_type]},
                                  self.note.data or "", self.reason.data or "")

    for item, question in CHECKLISTS[record_type].items():
        setattr(FindingForm, f"item_{item}", RadioField(question, choices=choices(ANSWERS), validators=[
            InputRequired("Choose an answer for this item")]))
    return FindingForm

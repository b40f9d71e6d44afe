"""Forms for booking, rebooking, recording an appointment's outcome, and recording a past contact."""
from datetime import UTC, datetime

from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from inclusive_access.blueprints.forms_common import choices, plain_text, strip, token_field, version_field
from inclusive_access.domain.appointments import FORMATS, OUTCOMES, PAST_OUTCOMES
from inclusive_access.domain.validation import LONDON


class _AppointmentForm(FlaskForm):
    """When, how and where: what a booking and a past contact both record."""

    starts_at = StringField("Date and time", validators=[InputRequired("Enter the date and time")])
    format = RadioField("Format", choices=choices(FORMATS), validators=[InputRequired("Select the format")])
    place = StringField("Place (for clinic and community venue)", validators=plain_text(200))
    duration_minutes = IntegerField("Length in minutes", default=30,
                                    validators=[Optional(), NumberRange(5, 240, "Use 5 to 240 minutes")])
    notes = TextAreaField("Support to arrange (for example, book a Polish interpreter)",
                          validators=plain_text(2000, multiline=True))
    submission_token = token_field()
    version = version_field()

    def starts_at_utc(self) -> datetime | None:
        """The UK wall-clock time entered, as UTC; None when it is not a real date and time."""
        try:
            local = datetime.fromisoformat((self.starts_at.data or "").strip())
        except ValueError:
            return None
        return (local if local.tzinfo else local.replace(tzinfo=LONDON)).astimezone(UTC)


class BookingForm(_AppointmentForm):
    override_reason = TextAreaField("Urgent clinical reason to book before the barrier check is complete",
                                    validators=plain_text(2000, multiline=True), filters=[strip])


class PastContactForm(_AppointmentForm):
    """A contact that already happened: when, how, what happened, and why it was not booked ahead."""

    outcome = RadioField("What happened?", choices=choices(PAST_OUTCOMES),
                         validators=[InputRequired("Select whether the patient attended or missed it")])
    reason = TextAreaField("Why is this recorded after it happened? (for example, seen at a drop-in clinic)",
                           validators=plain_text(2000, "Give the reason this contact is recorded after it happened",
                                                 multiline=True), filters=[strip])


class OutcomeForm(FlaskForm):
    outcome = RadioField("What happened?", choices=choices(OUTCOMES),
                         validators=[InputRequired("Select what happened")])
    reason = StringField("Reason (for cancellations)", validators=plain_text(500))
    version = version_field()


def deliveries_from(formdata, adjustment_ids: list[int]) -> tuple[dict[int, tuple[bool, str | None]], dict]:
    """Read "met_<id>" (yes/no) and "met_reason_<id>" for each adjustment due at the appointment."""
    answers, errors = {}, {}
    for adjustment_id in adjustment_ids:
        met, why = formdata.get(f"met_{adjustment_id}"), (formdata.get(f"met_reason_{adjustment_id}") or "").strip()
        if len(why) > 2000 or any(ord(ch) < 32 for ch in why):
            errors[f"met_reason_{adjustment_id}"] = "Shorten the reason and remove special characters"
        elif met in ("yes", "no"):
            answers[adjustment_id] = (met == "yes", why or None)
    return answers, errors

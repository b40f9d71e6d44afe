"""Recording a patient's answers: a form built for each instrument, a radio group a question.

The questions, the time point and the mode are checked by the domain (domain.questionnaires), which names each
wrong answer by its question; the form only reads the date."""
from dataclasses import dataclass
from datetime import date, datetime, time

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, ValidationError

from inclusive_access.blueprints.forms_common import token_field
from inclusive_access.domain.instruments import Instrument
from inclusive_access.domain.validation import LONDON

#: the domain's names for what the form shows under other names (item ids are prefixed: see `answers_form`)
DOMAIN_FIELDS = {"completed_at": "answered_day"}


@dataclass(frozen=True)
class Question:
    name: str
    legend: str
    options: dict[str, str]


class AnswersForm(FlaskForm):
    time_point = RadioField(validate_choice=False)
    mode = RadioField(validate_choice=False)
    answered_day = StringField()
    answered_month = StringField()
    answered_year = StringField()
    submission_token = token_field()
    instrument: Instrument

    def validate_answered_day(self, _field) -> None:
        parts = (self.answered_day.data, self.answered_month.data, self.answered_year.data)
        if not any((part or "").strip() for part in parts):
            raise ValidationError("Enter the date it was answered")
        if self.answered_on() is None:
            raise ValidationError("The date it was answered must be a real date, for example 15 3 2026")

    def answered_on(self) -> date | None:
        try:
            return date(*(int((part or "").strip()) for part in
                          (self.answered_year.data, self.answered_month.data, self.answered_day.data)))
        except ValueError:
            return None

    def completed_at(self, now: datetime, received_at: datetime) -> datetime:
        """When the patient answered: now, if today; for an earlier day (a paper form entered later), noon on that
        UK day, the hour of day being unknown. Noon stays the same day in UTC all year, never lies in the future
        for a past day, and a referral received that afternoon gets its receipt time instead, so the day it came
        is a day it can be answered on."""
        day = self.answered_on()
        if day == now.astimezone(LONDON).date():
            return now
        return max(datetime.combine(day, time(12), LONDON), received_at)

    def start(self, token: str, time_point: str | None, today: date) -> None:
        self.submission_token.data, self.time_point.data = token, time_point
        self.answered_day.data, self.answered_month.data, self.answered_year.data = (
            str(today.day), str(today.month), str(today.year))

    def questions(self) -> list[Question]:
        return [Question(_name(item.id), f"{item.text} (optional)" if item.optional else item.text,
                         {option.code: option.label for option in item.options}) for item in self.instrument.items]

    def answers(self) -> dict[str, str]:
        given = {item.id: self[_name(item.id)].data for item in self.instrument.items}
        return {item_id: code for item_id, code in given.items() if code}

    @property
    def domain_fields(self) -> dict[str, str]:
        return {**DOMAIN_FIELDS, **{item.id: _name(item.id) for item in self.instrument.items}}


def _name(item_id: str) -> str:
    """A question's field name: apart from the form's own fields whatever the instrument calls its items."""
    return f"item_{item_id}"


def answers_form(instrument: Instrument) -> AnswersForm:
    fields = {_name(item.id): RadioField(item.text, validate_choice=False) for item in instrument.items}
    form_class = type(f"AnswersForm_{instrument.id}", (AnswersForm,), {"instrument": instrument, **fields})
    return form_class()

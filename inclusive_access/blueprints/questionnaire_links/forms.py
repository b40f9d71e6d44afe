"""Sending a questionnaire link: which questionnaire, for when in the referral, in which wording."""
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField
from wtforms.validators import InputRequired

from inclusive_access.blueprints.forms_common import choices, token_field
from inclusive_access.domain.instruments import Instrument
from inclusive_access.domain.questionnaires import TIME_POINTS

WORDINGS = {"plain": "Plain English", "easy_read": "Easy read"}


class IssueLinkForm(FlaskForm):
    instrument = SelectField("Questionnaire", validators=[InputRequired("Select the questionnaire to send")])
    time_point = RadioField("When in the referral is it for?", choices=choices(TIME_POINTS),
                            validators=[InputRequired("Select when in the referral it is for")])
    wording = RadioField("Wording it opens in", choices=choices(WORDINGS),
                         validators=[InputRequired("Select the wording it opens in")])
    submission_token = token_field()

    def offer(self, instruments: list[Instrument]) -> None:
        """The questionnaires this referral's patient may be sent: the only ones the select accepts."""
        self.offered = {instrument.id: instrument.title for instrument in instruments}
        self.instrument.choices = choices(self.offered)

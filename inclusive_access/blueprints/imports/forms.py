"""Forms for uploading a referrals CSV and choosing how to import it."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import RadioField
from wtforms.validators import InputRequired

from inclusive_access.blueprints.forms_common import choices
from inclusive_access.domain import import_jobs

#: about 12,000 rows of a typical referral; the domain's row limit (import_jobs.MAX_ROWS) is the tighter one
MAX_BYTES = 5 * 1024 * 1024
MODES = {import_jobs.ALL_OR_NOTHING: "Only if every row is valid (all or nothing)",
         import_jobs.VALID_ROWS: "Import the valid rows, and download the rows with errors to fix"}


class UploadForm(FlaskForm):
    file = FileField("Upload a CSV file", validators=[
        FileRequired("Select a CSV file"),
        # A browser may call a CSV text/csv, application/vnd.ms-excel or nothing: the name and the content decide.
        FileAllowed(["csv"], "The selected file must be a CSV"),
        FileSize(MAX_BYTES, message="The selected file must be smaller than 5 MB")])


class ConfirmForm(FlaskForm):
    mode = RadioField("How do you want to import the referrals?", choices=choices(MODES),
                      validators=[InputRequired("Choose how to import")])

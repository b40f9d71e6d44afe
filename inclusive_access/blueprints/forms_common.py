"""Pieces the workflow forms share: choices from domain code lists, the one-time token, the version."""
import secrets

from wtforms import HiddenField, IntegerField, SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp

TOKEN_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"  # noqa: S105 - a pattern, not a secret


def choices(options: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(code, label) for code, label in options.items()]


def version_field() -> IntegerField:
    """The version of the record the user saw: a stale save is refused, never merged."""
    return IntegerField(validators=[InputRequired()])


def token_field() -> HiddenField:
    """A one-time token: a second submit of the same form finds what the first one made."""
    return HiddenField(validators=[Optional(), Regexp(TOKEN_PATTERN)])


def new_token() -> str:
    return secrets.token_urlsafe(24)


def first_errors(form) -> dict[str, str]:
    """field -> first message, the shape our error summary and field macros read."""
    return {name: messages[0] for name, messages in form.errors.items() if messages and name != "csrf_token"}


def strip(value):
    """A field filter: spaces and blank lines alone are not an answer, a reason or a question."""
    return value.strip() if isinstance(value, str) else value


def plain_text(max_len: int, required: str | None = None, multiline: bool = False) -> list:
    """Length-limited text with no control characters (PostgreSQL refuses NUL; none belongs in a record)."""
    pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$" if multiline else r"^[^\x00-\x1f\x7f]*$"
    first = InputRequired(required) if required else Optional()
    return [first, Length(max=max_len, message=f"Use {max_len} characters or fewer"),
            Regexp(pattern, message="Remove the special characters")]

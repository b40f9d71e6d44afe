"""GOV.UK Notify through its official client (notifications-python-client): send one outbox message with its id as
Notify's reference, find a message already sent by that reference, and sort each error into what a later attempt
may cure and what it cannot. Outside domain/ because it does I/O; the domain is handed one (notify_sending)."""
import re
from collections.abc import Iterator
from contextlib import contextmanager

from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from inclusive_access.domain.notify_sending import Claim, NotifyRefused, NotifyUnauthorised

#: a Notify API key: its name, then the service id and the secret, each a UUID (the client reads them from the end)
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
API_KEY = re.compile(rf".+-{_UUID}-{_UUID}")
#: statuses after which the same request may succeed later: rate limits, and Notify's own faults or outages (the
#: client reports no connection and timeouts as 503)
RETRYABLE = frozenset({429}) | frozenset(range(500, 600))
#: the key was refused: an expired, revoked or mistyped key fails every message alike
UNAUTHORISED = frozenset({401, 403})
#: the longest error kept with a message (a connection error's text names the whole URL)
ERROR_LENGTH = 500


class NotifyGateway:
    """One worker's connection to Notify. Not thread-safe, as the client it wraps."""

    def __init__(self, api_key: str, base_url: str, timeout: float = 30):
        if not API_KEY.fullmatch(api_key or ""):
            raise ValueError("NOTIFY_API_KEY is not a Notify API key (its name, then the service id and the secret, "
                             "as Notify shows it when the key is created)")
        self.client = NotificationsAPIClient(api_key, base_url=base_url, timeout=timeout)

    def send(self, message: Claim, template_id: str) -> str:
        """Send by the message's channel; Notify's notification id."""
        common = {"template_id": template_id, "personalisation": message.personalisation,
                  "reference": message.reference}
        with _classified():
            if message.channel == "sms":
                answer = self.client.send_sms_notification(phone_number=message.recipient, **common)
            elif message.channel == "email":
                answer = self.client.send_email_notification(email_address=message.recipient, **common)
            else:  # a letter: the address is in the personalisation (address_line_1 to address_line_7)
                answer = self.client.send_letter_notification(**common)
        return answer["id"]

    def find(self, reference: str) -> str | None:
        """The notification Notify holds with this reference (it keeps them 7 days), or None."""
        with _classified():
            found = self.client.get_all_notifications(reference=reference)["notifications"]
        return next((n["id"] for n in found if n.get("reference") == reference), None)


@contextmanager
def _classified() -> Iterator[None]:
    """Turn the client's errors into the domain's: NotifyUnauthorised, or NotifyRefused saying whether to retry."""
    try:
        yield
    except APIError as error:
        status = error.status_code
        if status in UNAUTHORISED:
            raise NotifyUnauthorised(f"Notify refused the API key ({_describe(error)})") from error
        # a 2xx answer that is not JSON (InvalidResponse) may mean Notify took the message: retry, which looks first
        raise NotifyRefused(_describe(error)[:ERROR_LENGTH],
                            retryable=status in RETRYABLE or 200 <= status < 300) from error


def _describe(error: APIError) -> str:
    """'400 ValidationError: phone_number Not a UK mobile number', or why Notify could not be reached."""
    if error.response is None and error.__cause__ is not None:
        return f"Notify could not be reached: {type(error.__cause__).__name__}: {error.__cause__}"
    message = error.message
    if isinstance(message, list):
        message = "; ".join(f"{e.get('error')}: {e.get('message')}" for e in message if isinstance(e, dict))
    return f"{error.status_code} {message}"

"""Typed errors the domain raises and the routes turn into messages or status codes."""


class DomainError(Exception):
    """A rule of the service refused the request."""


class NotPermitted(DomainError):
    """The actor's role may not do this."""


class TransitionNotAllowed(DomainError):
    """The record is not in a state that allows this action."""


class BarrierCheckOpen(TransitionNotAllowed):
    """A missed appointment's barrier check must record its outcome before the referral is rebooked."""

    def __init__(self, check_id: int):
        super().__init__("Complete the barrier check for the missed appointment before rebooking.")
        self.check_id = check_id


class StaleRecord(DomainError):
    """The record changed since the user opened it."""

    def __init__(self, message: str, changes: dict | None = None):
        super().__init__(message)
        #: field -> {value: now stored, by: who changed it, at: when}
        self.changes = changes or {}


class DuplicateSubmission(DomainError):
    """This form was already submitted; `existing_id` is what the first submit created."""

    def __init__(self, existing_id: int):
        super().__init__("This form was already submitted.")
        self.existing_id = existing_id


class OpenReferralExists(DomainError):
    """The patient already has an open referral on this pathway; another needs a confirmed reason."""

    def __init__(self, existing_id: int):
        super().__init__("This patient already has an open referral on this pathway.")
        self.existing_id = existing_id


class InvalidInput(DomainError):
    """Input that fails a rule of the record; `errors` maps field names to messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class LoginFailed(DomainError):
    """Wrong username or password, an unknown or deactivated account, or a lock: deliberately not saying which."""


class LoginThrottled(DomainError):
    """Too many sign-in attempts from one address or on one account name: refused before any password check."""

    def __init__(self, retry_after: int):
        super().__init__("Too many sign-in attempts")
        #: whole seconds until the window that refused the attempt ends (the Retry-After header)
        self.retry_after = retry_after


class LinkRefused(DomainError):
    """A questionnaire link that is forged, unknown, expired or already used: deliberately not saying which."""


class LinkThrottled(DomainError):
    """Too many requests on one questionnaire link, or too many refused links from one address."""

    def __init__(self, retry_after: int):
        super().__init__("Too many attempts on questionnaire links")
        #: whole seconds until the window that refused the request ends (the Retry-After header)
        self.retry_after = retry_after

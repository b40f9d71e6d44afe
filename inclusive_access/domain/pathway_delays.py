"""Whether something that happened to a patient followed a delay on their pathway: asked of urgent contacts and
safeguarding concerns alike, so "linked to a pathway delay" means one thing wherever it is counted."""
from dataclasses import dataclass

DELAY_ANSWERS = {"yes": "Yes", "no": "No", "not_known": "Not known"}


@dataclass(frozen=True)
class DelayLink:
    """A clinical judgement: whether it followed a delay and, if it did, what the delay was."""

    answer: str = "not_known"
    detail: str = ""

    @property
    def stored_detail(self) -> str | None:
        """The delay's description, kept only with a yes (text left in a hidden field is not an answer)."""
        return self.detail.strip() if self.answer == "yes" else None

    def errors(self) -> dict[str, str]:
        if self.answer not in DELAY_ANSWERS:
            return {"followed_delay": "Select whether it followed a delay on the pathway"}
        if self.answer == "yes" and not self.stored_detail:
            return {"delay_detail": "Describe the delay it followed"}
        return {}

    def data(self) -> dict:
        """The event's keys for it."""
        return {"followed_delay": self.answer, "delay_detail": self.stored_detail}

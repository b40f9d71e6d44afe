"""Typed event payloads: what a command writes into an event's data and what the projection reads back, in the one
JSON shape the log already holds (the chain hashes the data, so the shape of events already written never changes)."""
from dataclasses import dataclass

from inclusive_access.domain import actions

#: the actions whose events carry a referral's Transition: referral_flow.transition writes no other, and the facts
#: projection and its rebuild find a referral's state in these alone
TRANSITION_ACTIONS = frozenset({
    actions.TRIAGE_ACCEPTED, actions.TRIAGE_ESCALATED, actions.TRIAGE_FLAGS_CORRECTED, actions.TRIAGE_REJECTED,
    actions.TRIAGE_REJECTION_PROPOSED, actions.REJECTION_UPHELD, actions.REJECTION_OVERTURNED,
    actions.CLARIFICATION_REQUESTED, actions.CLARIFICATION_ANSWERED, actions.CLARIFICATION_CLOSED,
    actions.FIRST_CONTACT, actions.DISCHARGE_REQUESTED, actions.REFERRAL_DISCHARGED, actions.ENGAGEMENT_CONTINUED})


@dataclass(frozen=True)
class Transition:
    """A referral's move from one state to another (the same one, for an action that keeps its state)."""

    before: str
    after: str

    def data(self, version: int, extra: dict | None = None) -> dict:
        """The event's data: "from", "to" and the referral's version after the move, then the command's own keys."""
        return {"from": self.before, "to": self.after, "version": version, **(extra or {})}

    @classmethod
    def read(cls, data: dict) -> "Transition":
        """The transition in the data of an event whose action is one of TRANSITION_ACTIONS."""
        return cls(data["from"], data["to"])

"""Outreach histories for the outreach evidence, made through the domain as staff would make them: venues planned
by a manager, sessions held there, minimum records received from a named clinician, and linked to patients'
referrals."""
from datetime import UTC, datetime, timedelta

from inclusive_access.domain import outreach, outreach_reconciliation
from inclusive_access.domain.validation import LONDON
from tests.factories import make_referral, staff
from tests.outreach_factories import planned_session, received


def uk_time(month: int, day: int, hour: int = 13) -> datetime:
    """A time in 2026, UK wall clock."""
    return datetime(2026, month, day, hour, 30, tzinfo=LONDON).astimezone(UTC)


class Outreach:
    """Venues and the people seen there, through the domain."""

    def __init__(self, session):
        self.session = session
        self.manager, self.clinician = staff(session, "manager"), staff(session, "clinician")

    def venue(self, partner_of=None):
        """A new venue: of a new partner, or of the partner of `partner_of` (a venue)."""
        if partner_of is None:
            return planned_session(self.session, self.manager, [self.clinician]).venue
        return outreach.add_venue(self.session, self.manager, outreach.parse_venue(self.session, {
            "name": f"{partner_of.name} annexe", "kind": "day_centre", "partner_id": str(partner_of.partner_id)}))

    def seen(self, venue, at: datetime, follow_up_on: str = "", referral=None, **record):
        """A record of someone seen at `venue` at `at`, from a session held there then; linked to `referral`'s
        patient if given."""
        local = at.astimezone(LONDON).replace(tzinfo=None)
        planned = outreach.plan_session(self.session, self.manager, outreach.parse_session_plan(self.session, {
            "venue_id": str(venue.id), "starts_at": (local - timedelta(minutes=30)).isoformat(),
            "ends_at": (local + timedelta(hours=2)).isoformat()}, [str(self.clinician.user_id)]))
        made = received(self.session, self.clinician, planned, now=at + timedelta(hours=2),
                        seen_at=at.isoformat(), follow_up_on=follow_up_on, **record)
        if referral is not None:
            outreach_reconciliation.link(self.session, self.clinician, made, referral, made.version,
                                         now=at + timedelta(hours=3))
        return made

    def patient(self, decile: str, received_at: str = "2026-05-01 09:00"):
        """An open referral of a new patient (received on 1 May 2026 unless told, UK time)."""
        return make_referral(self.session, received_at=received_at, imd_decile=decile)

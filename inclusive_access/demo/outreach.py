"""Outreach for the demo, through the domain: two synthetic partners, three venues with a weekly session each over
the last months, and a small cohort seen there: most linked to a patient's open referral (some seen again, some
not), a few records never linked; follow-ups planned, now and then a positive safeguarding screen, raised as a
concern. Enough for the outreach evidence page to show figures; made after the rest of the demo, from its own
random stream."""
import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import outreach, outreach_reconciliation, outreach_records
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.states import ACTIVE_STATES
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import OutreachSession, Referral

PARTNERS = (("Harbourside Housing Association (synthetic)", "housing"),
            ("Open Door Day Centre Trust (synthetic)", "voluntary"))
#: (name, kind, the partner that runs it: an index of PARTNERS)
VENUES = (("Harbourside Hostel (synthetic)", "hostel", 0), ("Harbourside Day Centre (synthetic)", "day_centre", 0),
          ("Open Door Day Centre (synthetic)", "day_centre", 1))
#: the weeks of sessions, ending last week, and the people seen over them (linked ones where an open referral is)
WEEKS, PEOPLE, UNLINKED = 26, 24, 5
#: the chance someone seen comes to another session, and the chance a follow-up is planned
RETURNS, FOLLOW_UP = 0.55, 0.8


def outreach_months(session: Session, rng: random.Random, manager: Actor, clinician: Actor, now: datetime) -> None:
    start = now - timedelta(weeks=WEEKS + 1)
    partners = [outreach.add_partner(session, manager, outreach.parse_partner({
        "name": name, "kind": kind, "contact_name": "Demo Contact (synthetic)",
        "sharing_agreement": "Outreach information-sharing agreement (synthetic demo)"}), now=start)
        for name, kind in PARTNERS]
    venues = [outreach.add_venue(session, manager, outreach.parse_venue(session, {
        "name": name, "kind": kind, "partner_id": str(partners[partner].id)}), now=start)
        for name, kind, partner in VENUES]
    sessions = {venue.id: [_weekly(session, manager, clinician, venue, start + timedelta(weeks=week, days=i))
                           for week in range(1, WEEKS + 1)] for i, venue in enumerate(venues)}
    referrals = session.scalars(select(Referral).where(Referral.state.in_(ACTIVE_STATES))
                                .order_by(Referral.id).limit(PEOPLE - UNLINKED)).all()
    for person in range(PEOPLE):
        referral = referrals[person] if person < len(referrals) else None
        held = [s for s in sessions[rng.choice(venues).id] if referral is None or s.starts_at > referral.received_at]
        if not held:
            continue
        week = rng.randrange(len(held))
        while True:
            _seen(session, rng, clinician, held[week], referral)
            week += rng.choice((1, 1, 2, 4))
            if referral is None or week >= len(held) or rng.random() > RETURNS:
                break


def _weekly(session: Session, manager: Actor, clinician: Actor, venue, day: datetime) -> OutreachSession:
    local = day.astimezone(LONDON).replace(hour=13, minute=0, second=0, microsecond=0, tzinfo=None)
    return outreach.plan_session(session, manager, outreach.parse_session_plan(session, {
        "venue_id": str(venue.id), "starts_at": local.isoformat(),
        "ends_at": (local + timedelta(hours=3)).isoformat(), "partner_staff": "Two key workers (synthetic)"},
        [str(clinician.user_id)]), now=day - timedelta(days=7))


def _seen(session: Session, rng: random.Random, clinician: Actor, held: OutreachSession,
          referral: Referral | None) -> None:
    seen_at = held.starts_at + timedelta(minutes=rng.randint(5, 170))
    exploitation, self_neglect = ("yes" if rng.random() < 0.1 else "no" for _ in range(2))
    follow_up = seen_at.astimezone(LONDON).date() + timedelta(days=rng.choice((7, 14, 14)))
    planned = rng.random() < FOLLOW_UP
    record, _created = outreach_records.receive_record(session, clinician, held, {
        "client_key": f"demo-outreach-{rng.getrandbits(64):016x}", "seen_at": seen_at.isoformat(),
        "given_name": rng.choice(("Sam", "Jo", "Alex", "Chris", "Robin")), "approximate_age": str(rng.randint(19, 70)),
        "consent_to_share": "yes", "presenting_need": "Synthetic demo: low mood, sleeping rough",
        "exploitation_risk": exploitation, "self_neglect_risk": self_neglect,
        "safeguarding_detail": "Synthetic demo: a worry raised at the venue",
        "flags": ["housing"] + (["language"] if rng.random() < 0.2 else []),
        "action_agreed": "Synthetic demo: GP registration started",
        "follow_up_on": follow_up.isoformat() if planned else "",
        "follow_up_plan": "See at the next session" if planned else ""}, now=seen_at + timedelta(hours=2))
    if referral is not None:
        linked_at = seen_at + timedelta(days=1)
        # a positive screen goes on to the safeguarding route with the link (outreach_safeguarding.raise_on_link)
        outreach_reconciliation.link(session, clinician, record, referral, record.version, now=linked_at)

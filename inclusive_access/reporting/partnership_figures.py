"""The outreach figures a partnership review meeting looks at, for the partners present: records received, people
seen, positive safeguarding screens and follow-ups planned at each partner's venues, published with small counts
hidden, since the minutes go to the partners."""
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import case, distinct, func, or_, select
from sqlalchemy.orm import Session

from inclusive_access.domain.validation import LONDON
from inclusive_access.models import OutreachRecord, OutreachSession, Partner, Venue
from inclusive_access.reporting import stats, suppression

#: the figures, in the order a page shows them
FIGURES = {"records": "Records received", "people": "People seen",
           "safeguarding": "Positive safeguarding screen", "follow_ups": "Follow-up planned"}
TOTAL = "total"


def _columns() -> list:
    return [
        func.count(OutreachRecord.id).label("records"),
        # a reconciled record is its patient, counted once; an unreconciled one is a person not yet matched
        (func.count(distinct(OutreachRecord.patient_id))
         + func.coalesce(func.sum(case((OutreachRecord.patient_id.is_(None), 1), else_=0)), 0)).label("people"),
        func.coalesce(func.sum(case((or_(OutreachRecord.exploitation_risk == "yes",
                                         OutreachRecord.self_neglect_risk == "yes"), 1), else_=0)), 0
                      ).label("safeguarding"),
        func.coalesce(func.sum(case((OutreachRecord.follow_up_on.is_not(None), 1), else_=0)), 0).label("follow_ups"),
    ]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), LONDON).astimezone(UTC)


def figures_for(session: Session, partner_ids: list[int], start: date, end: date) -> dict:
    """The figures for each partner in `partner_ids` and for them together, counting the records of people seen at
    their venues from `start` to `end` (London dates, both included), as published: a count from 1 to 7, or one
    that with the others would give such a count away, is "*" (reporting/suppression.py).

    {"partners": [{"partner_id", "name", and each of FIGURES}, ...] by name, "total": {each of FIGURES}}."""
    def counted(*columns):
        return (select(*columns, *_columns()).select_from(OutreachRecord)
                .join(OutreachSession, OutreachSession.id == OutreachRecord.session_id)
                .join(Venue, Venue.id == OutreachSession.venue_id)
                .where(Venue.partner_id.in_(partner_ids), OutreachRecord.seen_at >= _midnight(start),
                       OutreachRecord.seen_at < _midnight(end + timedelta(days=1))))

    by_partner = {row.partner_id: row._mapping
                  for row in session.execute(counted(Venue.partner_id).group_by(Venue.partner_id))}
    total = session.execute(counted()).one()._mapping
    names = session.execute(select(Partner.id, Partner.name).where(Partner.id.in_(partner_ids))
                            .order_by(Partner.name, Partner.id)).all()
    counts = {(figure, TOTAL): int(total[figure]) for figure in FIGURES}
    for partner_id, _name in names:
        counts |= {(figure, partner_id): int(by_partner[partner_id][figure]) if partner_id in by_partner else 0
                   for figure in FIGURES}
    # A record counts towards one partner's figures alone (a venue has one partner), so the partners' counts sum to
    # the total. People may not (one person seen at two partners' venues), but they do when no one was, so they are
    # suppressed as if they always did: the total less the others' people must not give a small count away.
    relations = [{(figure, pid): 1 for pid, _name in names} | {(figure, TOTAL): -1} for figure in FIGURES]
    hidden = suppression.suppress_linked(counts, relations)

    def published(key: object) -> dict:
        return {figure: stats.SUPPRESSED if (figure, key) in hidden else counts[figure, key] for figure in FIGURES}

    return {"partners": [{"partner_id": pid, "name": name, **published(pid)} for pid, name in names],
            "total": published(TOTAL)}

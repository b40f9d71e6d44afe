"""The outreach cohort's evidence: seen again after first contact, planned follow-up completed on time, urgent care
and safeguarding, for the whole cohort and by partner, venue, inequality flag, IMD quintile and ethnic group, from
outreach_queries' counts, with Wilson intervals and small-number suppression when shared.

`figures(session, start, end, partner_id)` gives one partner's (or everyone's) figures for a period of UK days, for
anything that snapshots them (a partnership review meeting)."""
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from inclusive_access.domain.segments import FLAG_LABELS
from inclusive_access.reporting import stats, suppression
from inclusive_access.reporting.outreach_queries import (
    BREAKDOWNS,
    COUNTS,
    NO_FLAG,
    NOT_LINKED_GROUP,
    NOT_LINKED_QUINTILE,
    WINDOW_DAYS,
    Breakdown,
    Place,
    Scope,
    counts,
    places,
)
from inclusive_access.reporting.tables import Cell, Group, segment_values

#: the whole cohort's one group, in suppression keys
OVERALL = "overall"
#: the label of venues no partner runs
NO_PARTNER = "No partner (the service's own venue)"


@dataclass(frozen=True)
class Measure:
    """A share: x of n, both counts of outreach_queries.COUNTS."""

    key: str
    label: str
    x: str
    n: str


MEASURES = (
    Measure("engaged", f"Seen again within {WINDOW_DAYS} days of first contact", "engaged", "followed"),
    Measure("follow_up_on_time", "Planned follow-up completed on time", "follow_ups_met", "follow_ups_due"),
    Measure("urgent", f"Urgent care within {WINDOW_DAYS} days of first contact", "urgent", "followed"),
    Measure("concern", f"Safeguarding concern raised within {WINDOW_DAYS} days of first contact", "concerns",
            "followed"),
    Measure("screened_positive", "Records with a positive safeguarding screen (exploitation or self-neglect)",
            "screened_positive", "records"),
)
#: the counts shown on their own, beside the shares
PLAIN_COUNTS = (
    ("records", "Records of people seen"),
    ("people_linked", "People new to outreach, linked to a patient"),
    ("people_unlinked", "People new to outreach, record not yet linked (each record a person)"),
    ("follow_ups_unlinked", "Follow-ups due on records not yet linked (not judged)"),
)


@dataclass(frozen=True)
class Report:
    overall: Group
    breakdown: Breakdown
    groups: list[Group]


def scope_of(first_month: str, last_month: str) -> Scope:
    """The UK days of a range of months 'YYYY-MM' (the dashboard's periods)."""
    year, month = int(last_month[:4]), int(last_month[5:])
    after = date(year + month // 12, month % 12 + 1, 1)
    return Scope(date.fromisoformat(f"{first_month}-01"), date.fromordinal(after.toordinal() - 1))


def group_values(breakdown: str, found: dict, known: list[Place]) -> list[tuple[object, str]]:
    """The groups a breakdown lists, in order: every value of a fixed breakdown (with its not known and not linked
    rows), and the partners and venues with anything to count."""
    if breakdown == "partner":
        partners = {p.partner_id: p.partner for p in known if p.partner_id is not None}
        listed = [(pid, name) for pid, name in partners.items() if pid in found]
        return listed + ([(None, NO_PARTNER)] if None in found else [])
    if breakdown == "venue":
        return [(p.venue_id, f"{p.venue} ({p.partner or NO_PARTNER})") for p in known if p.venue_id in found]
    if breakdown == "flags":
        return [*((key, f"Flag: {label}") for key, label in FLAG_LABELS.items()), (NO_FLAG, "No flag recorded")]
    if breakdown == "imd_quintile":
        return [*((q, label) for q, label in segment_values("imd_quintile")), (NOT_LINKED_QUINTILE, NOT_LINKED_GROUP)]
    groups = [(g, label) for g, label in segment_values("ethnic_group")]
    return groups + [(NOT_LINKED_GROUP, NOT_LINKED_GROUP)]


def _found(session: Session, scope: Scope, breakdown: str | None, now: datetime) -> dict[object, dict]:
    found = counts(session, scope, breakdown, now)
    if breakdown in ("imd_quintile", "ethnic_group"):
        unlisted = set(found) - {value for value, _label in group_values(breakdown, found, [])}
        if unlisted:  # every stored value must be listed, so no group silently drops out of a report
            raise ValueError(f"{breakdown} has values the report does not list: {sorted(map(str, unlisted))}")
    return found


def hidden_counts(session: Session, scope: Scope, now: datetime, known: list[Place]) -> set[tuple]:
    """The counts a shared view hides, for every breakdown of the period at once (any of them can be shown, and
    exported): counts of 1 to 7, and enough others that none is worked out from the rest. What an analyst knows
    links them: a breakdown that divides the records sums to the whole cohort, a partner's venues to the partner,
    and in a patient breakdown's not-linked row the records are its unlinked people (each unlinked record is one).
    Keys: (breakdown, count, value), the whole cohort's (OVERALL, count, None)."""
    tallies: dict[tuple, int] = {}
    overall = _found(session, scope, None, now).get(None, {})
    tallies |= {(OVERALL, name, None): overall.get(name, 0) for name in COUNTS}
    relations = []
    listed = {}
    for key, breakdown in BREAKDOWNS.items():
        found = _found(session, scope, key, now)
        listed[key] = [value for value, _label in group_values(key, found, known)]
        for name in COUNTS:
            tallies |= {(key, name, value): found.get(value, {}).get(name, 0) for value in listed[key]}
            if breakdown.partition:
                relations.append({(key, name, value): 1 for value in listed[key]} | {(OVERALL, name, None): -1})
    for key, not_linked in (("imd_quintile", NOT_LINKED_QUINTILE), ("ethnic_group", NOT_LINKED_GROUP)):
        relations.append({(key, "records", not_linked): 1, (key, "people_unlinked", not_linked): -1})
    partner_of = {p.venue_id: p.partner_id for p in known}
    for partner in listed["partner"]:
        venues = [v for v in listed["venue"] if partner_of[v] == partner]
        relations += [{("venue", name, v): 1 for v in venues} | {("partner", name, partner): -1} for name in COUNTS]
    return suppression.suppress_linked(tallies, relations)


def _group(value, label: str, found: dict, shown) -> Group:
    sums = dict.fromkeys(COUNTS, 0) | found
    group = Group(value, label, {name: shown(name, sums[name]) for name in COUNTS})
    for m in MEASURES:
        x, n = group.counts[m.x], group.counts[m.n]
        if sums[m.n] == 0 or stats.SUPPRESSED in (x, n):
            group.cells[m.key] = Cell(x, n, None, None, None)
        else:
            group.cells[m.key] = Cell(x, n, sums[m.x] / sums[m.n], *stats.wilson_ci(sums[m.x], sums[m.n]))
    return group


def _shown(hidden: set[tuple] | None, breakdown: str, value):
    def shown(name: str, count: int) -> int | str:
        return stats.SUPPRESSED if hidden is not None and (breakdown, name, value) in hidden else count
    return shown


def report(session: Session, scope: Scope, breakdown: str, shared: bool = False,
           now: datetime | None = None) -> Report:
    """The whole cohort's figures and each group's of the breakdown; counts hidden as hidden_counts says when
    shared, with no share worked out from a hidden count."""
    now = now or datetime.now(UTC)
    known = places(session)
    hidden = hidden_counts(session, scope, now, known) if shared else None
    overall = _group(None, "All outreach", _found(session, scope, None, now).get(None, {}),
                     _shown(hidden, OVERALL, None))
    found = _found(session, scope, breakdown, now)
    groups = [_group(value, label, found.get(value, {}), _shown(hidden, breakdown, value))
              for value, label in group_values(breakdown, found, known)]
    return Report(overall, BREAKDOWNS[breakdown], groups)


def figures(session: Session, start: date, end: date, partner_id: int | None = None, shared: bool = False,
            now: datetime | None = None) -> Group:
    """Everyone's figures for the UK days `start` to `end` (inclusive), or one partner's (its venues' records and
    the people first seen there): as the page shows them, hidden alike when shared."""
    found = report(session, Scope(start, end), "partner", shared, now)
    if partner_id is None:
        return found.overall
    named = {p.partner_id: p.partner for p in places(session)}
    return next((g for g in found.groups if g.value == partner_id),  # a partner with nobody seen: all 0
                _group(partner_id, named.get(partner_id) or NO_PARTNER, {}, _shown(None, "partner", partner_id)))


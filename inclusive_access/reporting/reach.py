"""Equity of reach: whether the service's messages reach people alike, and whether reminders cut missed appointments
for everyone or only some. Messages per status for everyone and by the referral's segment, format and addressee;
DNA rates of appointments reminded and not reminded, for everyone and by segment; from reach_queries' counts, with
Wilson intervals and small-number suppression when shared."""
from dataclasses import dataclass

from sqlalchemy.orm import Session

from inclusive_access.domain import outbox
from inclusive_access.domain.policy import LARGEST_SUPPRESSED
from inclusive_access.reporting import stats, suppression
from inclusive_access.reporting.queries import Period
from inclusive_access.reporting.reach_queries import (
    ADDRESSEE,
    DNA_COUNTS,
    FORMAT,
    MESSAGE_COUNTS,
    NO_REFERRAL,
    Scope,
    appointments_by,
    messages_by,
)
from inclusive_access.reporting.tables import SEGMENT_LABELS, Cell, Group, segment_values

#: the whole of a table, in suppression keys
OVERALL = "overall"
#: the DNA table's two sides
REMINDED, UNREMINDED = "reminded", "unreminded"
NO_REFERRAL_LABEL = "Not about a referral"
#: message count -> its column heading
COUNT_LABELS = {"messages": "Messages", "queued": "Waiting to be sent", "sent": "Sent, no outcome yet",
                "delivered": "Delivered", "failed": "Failed", "withheld": "Withheld (no safe route)"}
#: the shares of all messages shown beside the counts
SHARES = ("delivered", "failed", "withheld")
#: every template of the outbox, as the timeline names it, and none for a withheld message
FORMAT_LABELS = {**{template: by.capitalize() for template, by in outbox.SENT_BY.items()}, None: "No format (withheld)"}
ADDRESSEE_LABELS = outbox.ADDRESSEE_LABELS
#: the message breakdowns beside the segments: key -> (label, its values and their labels)
SENDING = {FORMAT: ("Format", list(FORMAT_LABELS.items())), ADDRESSEE: ("Addressed to", list(ADDRESSEE_LABELS.items()))}


@dataclass(frozen=True)
class DnaGroup:
    """One group's DNA rates: DNAs of appointments that took place, reminded and not."""

    value: object
    label: str
    reminded: Cell
    unreminded: Cell


@dataclass(frozen=True)
class Report:
    segment: str
    segment_label: str
    overall: Group
    by_segment: list[Group]
    by_format: list[Group]
    by_addressee: list[Group]
    dna_overall: DnaGroup
    dna_by_segment: list[DnaGroup]


def _cell(x: int | str, n: int | str, sums: tuple[int, int]) -> Cell:
    if sums[1] == 0 or stats.SUPPRESSED in (x, n):
        return Cell(x, n, None, None, None)
    return Cell(x, n, sums[0] / sums[1], *stats.wilson_ci(*sums))


def _values(breakdown: str, unlinked: bool) -> list[tuple[object, str]]:
    """A breakdown's groups in order: every value of a segment (with the messages about no referral when there are
    any) or of a format or addressee."""
    if breakdown in SENDING:
        return SENDING[breakdown][1]
    return segment_values(breakdown) + ([(NO_REFERRAL, NO_REFERRAL_LABEL)] if unlinked else [])


def _checked(breakdown: str, found: dict, listed: list[tuple[object, str]]) -> dict:
    unlisted = set(found) - {value for value, _label in listed}
    if unlisted:  # every stored value must be listed, so no group silently drops out of a report
        raise ValueError(f"{breakdown} has values the report does not list: {sorted(map(str, unlisted))}")
    return found


class Figures:
    """Every count the page can show for the period, read once: the whole, and each breakdown's groups."""

    def __init__(self, session: Session, period: Period):
        scope = Scope(period)
        self.overall = messages_by(session, scope, None).get(None) or dict.fromkeys(MESSAGE_COUNTS, 0)
        self.dna_overall = appointments_by(session, scope, None).get(None) or dict.fromkeys(DNA_COUNTS, 0)
        self.messages, self.appointments, self.listed = {}, {}, {}
        for breakdown in (*SEGMENT_LABELS, *SENDING):
            found = messages_by(session, scope, breakdown)
            self.listed[breakdown] = _values(breakdown, NO_REFERRAL in found)
            self.messages[breakdown] = _checked(breakdown, found, self.listed[breakdown])
        for segment in SEGMENT_LABELS:
            self.appointments[segment] = _checked(segment, appointments_by(session, scope, segment),
                                                  segment_values(segment))

    def message_counts(self, breakdown: str, value) -> dict[str, int]:
        return dict.fromkeys(MESSAGE_COUNTS, 0) | self.messages[breakdown].get(value, {})

    def dna_counts(self, segment: str, value) -> dict[str, int]:
        return dict.fromkeys(DNA_COUNTS, 0) | self.appointments[segment].get(value, {})


def hidden_counts(figures: Figures) -> set[tuple]:
    """The counts a shared view hides, over every breakdown at once (any can be shown, and exported): counts of 1
    to policy.LARGEST_SUPPRESSED, and enough others that none is worked out from the rest. What an analyst knows
    links them: a group's statuses sum to its messages, and each breakdown's groups to the whole (shown), for
    messages and for appointments. Keys: ("messages", breakdown, value, count) and ("dna", segment, value, count),
    the whole's with breakdown OVERALL and value None."""
    tallies: dict[tuple, int] = {("messages", OVERALL, None, name): figures.overall[name] for name in MESSAGE_COUNTS}
    tallies |= {("dna", OVERALL, None, name): figures.dna_overall[name] for name in DNA_COUNTS}
    relations = []

    def statuses_sum(key: tuple) -> dict[tuple, int]:
        return {(*key, name): 1 for name in MESSAGE_COUNTS[1:]} | {(*key, "messages"): -1}

    relations.append(statuses_sum(("messages", OVERALL, None)))
    for breakdown, listed in figures.listed.items():
        counts = {value: figures.message_counts(breakdown, value) for value, _label in listed}
        tallies |= {("messages", breakdown, v, name): c[name] for v, c in counts.items() for name in MESSAGE_COUNTS}
        relations += [statuses_sum(("messages", breakdown, v)) for v in counts]
        relations += [{("messages", breakdown, v, name): 1 for v in counts} | {("messages", OVERALL, None, name): -1}
                      for name in MESSAGE_COUNTS]
    for segment in figures.appointments:
        values = [value for value, _label in segment_values(segment)]
        tallies |= {("dna", segment, v, name): figures.dna_counts(segment, v)[name] for v in values
                    for name in DNA_COUNTS}
        relations += [{("dna", segment, v, name): 1 for v in values} | {("dna", OVERALL, None, name): -1}
                      for name in DNA_COUNTS]
    return suppression.suppress_linked(tallies, relations, high=LARGEST_SUPPRESSED)


def _group(value, label: str, counts: dict[str, int], shown) -> Group:
    group = Group(value, label, {name: shown(name, counts[name]) for name in MESSAGE_COUNTS})
    group.cells = {name: _cell(group.counts[name], group.counts["messages"], (counts[name], counts["messages"]))
                   for name in SHARES}
    return group


def _dna_group(value, label: str, counts: dict[str, int], shown) -> DnaGroup:
    def side(prefix: str) -> Cell:
        x, n = f"{prefix}_dnas", f"{prefix}_took_place"
        return _cell(shown(x, counts[x]), shown(n, counts[n]), (counts[x], counts[n]))

    return DnaGroup(value, label, side(REMINDED), side(UNREMINDED))


def _shown(hidden: set[tuple] | None, table: str, breakdown: str, value):
    def shown(name: str, count: int) -> int | str:
        return stats.SUPPRESSED if hidden is not None and (table, breakdown, value, name) in hidden else count
    return shown


def report(session: Session, period: Period, segment: str, shared: bool = False) -> Report:
    """The period's figures by `segment` (a key of tables.SEGMENT_LABELS), format and addressee; counts hidden as
    hidden_counts says when shared, with no share worked out from a hidden count."""
    figures = Figures(session, period)
    hidden = hidden_counts(figures) if shared else None

    def groups(breakdown: str) -> list[Group]:
        return [_group(value, label, figures.message_counts(breakdown, value),
                       _shown(hidden, "messages", breakdown, value)) for value, label in figures.listed[breakdown]]

    return Report(
        segment, SEGMENT_LABELS[segment],
        _group(None, "All messages", figures.overall, _shown(hidden, "messages", OVERALL, None)),
        groups(segment), groups(FORMAT), groups(ADDRESSEE),
        _dna_group(None, "All appointments", figures.dna_overall, _shown(hidden, "dna", OVERALL, None)),
        [_dna_group(value, label, figures.dna_counts(segment, value), _shown(hidden, "dna", segment, value))
         for value, label in segment_values(segment)])

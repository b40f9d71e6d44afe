"""referral_facts.adjustment_in_place (the patient had a reasonable adjustment active while the referral was open)
from the event log, by the same pure replay as `flask facts rebuild`; then every count of referral_fact_counts,
by the rebuild's own SQL (both frozen below). (A later revision that adds a count takes this recount over, as this
one took 0009's.)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 07:30:00

"""
from collections import Counter, defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('referral_facts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('adjustment_in_place', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table('referral_fact_counts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referrals_with_adjustment', sa.Integer(), server_default='0',
                                      nullable=False))
    bind = op.get_bind()
    events = sa.table("events", sa.column("seq", sa.Integer), sa.column("action", sa.String),
                      sa.column("occurred_at", sa.DateTime), sa.column("referral_id", sa.Integer),
                      sa.column("patient_id", sa.Integer), sa.column("data", sa.Text))
    rows = bind.execute(sa.select(events.c.action, events.c.occurred_at, events.c.referral_id, events.c.patient_id,
                                  events.c.data)
                        .where(sa.or_(events.c.referral_id.is_not(None), events.c.action.in_(sorted(PATIENT_ACTIONS))))
                        .order_by(events.c.seq))
    adjusted = [rid for rid, fact in replay(rows).items() if fact["adjustment_in_place"]]
    facts = sa.table("referral_facts", sa.column("referral_id", sa.Integer),
                     sa.column("adjustment_in_place", sa.Boolean))
    for start in range(0, len(adjusted), 5000):
        bind.execute(facts.update().where(facts.c.referral_id.in_(adjusted[start:start + 5000]))
                     .values(adjustment_in_place=True))
    recount(bind)


# Frozen copy of domain.facts.replay as of this revision, kept to what decides adjustment_in_place (receipt, closure,
# an adjustment recorded or ended): the migration must project as the app did then, whatever domain.facts says later.
ADJUSTMENT_RECORDED, ADJUSTMENT_ENDED = "adjustment.recorded", "adjustment.ended"
PATIENT_ACTIONS = frozenset({ADJUSTMENT_RECORDED, ADJUSTMENT_ENDED})
#: the actions that set a referral's closed_at: finally rejected, or discharged
CLOSING_ACTIONS = frozenset({"triage.rejected", "rejection.upheld", "referral.discharged"})


def project(fact: dict | None, action: str, referral_id: int | None, patient_id: int | None,
            adjusted) -> dict | None:
    """A referral's closed and adjustment_in_place after an event (pure); None where the event changes neither.

    A patient's adjustment.recorded is given for each of the patient's referrals: one still open then had an
    adjustment in place."""
    if action == ADJUSTMENT_RECORDED:
        if fact is None or fact["closed"] or fact["adjustment_in_place"]:
            return None
        return {**fact, "adjustment_in_place": True}
    if referral_id is None:
        return None
    if action == "referral.received":
        return {"closed": False, "adjustment_in_place": adjusted(patient_id)}
    if fact is None:
        return None
    if action in CLOSING_ACTIONS:
        return {**fact, "closed": True}
    return fact


def replay(rows: Iterable) -> dict[int, dict]:
    """Every referral's closed and adjustment_in_place from (action, occurred_at, referral_id, patient_id, data)
    rows in log order."""
    facts: dict[int, dict] = {}
    found = facts.get
    active: Counter[int] = Counter()  # each patient's active adjustments
    referrals_of: defaultdict[int, list[int]] = defaultdict(list)

    def adjusted(patient_id: int) -> bool:
        return active[patient_id] > 0

    for action, _occurred_at, referral_id, patient_id, _data in rows:
        if action in PATIENT_ACTIONS:
            active[patient_id] += 1 if action == ADJUSTMENT_RECORDED else -1
            if action == ADJUSTMENT_RECORDED:
                for rid in referrals_of[patient_id]:
                    if (after := project(facts[rid], action, referral_id, patient_id, adjusted)) is not None:
                        facts[rid] = after
            continue
        if referral_id is None:
            continue
        after = project(found(referral_id), action, referral_id, patient_id, adjusted)
        if after is not None:
            if referral_id not in facts:
                referrals_of[patient_id].append(referral_id)
            facts[referral_id] = after
    return facts


# Frozen copy of domain.fact_counts.recount as of this revision, over lightweight tables of the columns it reads
# and writes: the counts must be those the app counted then, whatever domain.fact_counts says later.
FLAGS = ("deprivation", "housing", "cognitive", "language", "communication", "carer")
#: the segments counted within each IMD quintile; "all" (value "") counts every referral of the quintile
SEGMENTS = ("ethnic_group", "age_band", "sex", *(f"flag_{flag}" for flag in FLAGS))
ALL = "all"
#: the quintile stored for "not known" (a key column cannot be NULL)
NOT_KNOWN_QUINTILE = 0
KEYS = ("received_month", "pathway", "imd_quintile", "segment", "value")
F = sa.table(
    "referral_facts",
    sa.column("received_month", sa.String), sa.column("pathway", sa.String), sa.column("imd_quintile", sa.Integer),
    sa.column("ethnic_group", sa.String), sa.column("age_band", sa.String), sa.column("sex", sa.String),
    *(sa.column(f"flag_{flag}", sa.Boolean) for flag in FLAGS),
    *(sa.column(name, sa.Boolean) for name in ("flagged", "dna_linked_discharge", "re_referral_within_90_days",
                                               "adjustment_in_place")),
    *(sa.column(name, sa.DateTime) for name in ("accepted_at", "rejected_at", "triaged_at", "triage_due_at",
                                                "first_contact_at", "discharged_at")),
    *(sa.column(name, sa.Integer) for name in ("clarifications", "clarifications_on_time", "attended", "dnas",
                                               "dnas_rebooked_in_14_days", "barrier_checks",
                                               "barrier_checks_completed", "adjustments_due", "adjustments_met")),
).c


def _count(condition):
    return sa.func.count(sa.case((condition, 1)))  # the rows where it holds (never NULL, unlike SUM)


#: each count's SQL aggregate over referral_facts, in referral_fact_counts' column order
COUNTED = {
    "referrals": sa.func.count(),
    "accepted": sa.func.count(F.accepted_at),
    "rejected": sa.func.count(F.rejected_at),
    "flagged": _count(F.flagged.is_(True)),
    "flagged_triaged_on_time": _count(F.flagged.is_(True) & (F.triaged_at <= F.triage_due_at)),
    "clarifications": sa.func.coalesce(sa.func.sum(F.clarifications), 0),
    "clarifications_on_time": sa.func.coalesce(sa.func.sum(F.clarifications_on_time), 0),
    "first_contacts": sa.func.count(F.first_contact_at),
    "attended": sa.func.coalesce(sa.func.sum(F.attended), 0),
    "dnas": sa.func.coalesce(sa.func.sum(F.dnas), 0),
    "dnas_rebooked_in_14_days": sa.func.coalesce(sa.func.sum(F.dnas_rebooked_in_14_days), 0),
    "discharged": sa.func.count(F.discharged_at),
    "dna_linked_discharges": _count(F.dna_linked_discharge.is_(True)),
    "barrier_checks": sa.func.coalesce(sa.func.sum(F.barrier_checks), 0),
    "barrier_checks_completed": sa.func.coalesce(sa.func.sum(F.barrier_checks_completed), 0),
    "adjustments_due": sa.func.coalesce(sa.func.sum(F.adjustments_due), 0),
    "adjustments_met": sa.func.coalesce(sa.func.sum(F.adjustments_met), 0),
    "re_referrals_within_90_days": _count(F.re_referral_within_90_days.is_(True)),
    "referrals_with_adjustment": _count(F.adjustment_in_place.is_(True)),
}
COUNTS = sa.table("referral_fact_counts", *(sa.column(name) for name in (*KEYS, *COUNTED)))


def _sql_value(segment: str):
    """A segment's value as a key of referral_fact_counts: a flag's is "1" or "0"."""
    column = F[segment]
    return sa.case((column.is_(True), "1"), else_="0") if segment.startswith("flag_") else column


def recount(bind) -> None:
    """referral_fact_counts from referral_facts alone, in SQL: one pass counts each combination of month, pathway,
    quintile and every segment's value; "all" and each segment then sum those combinations."""
    bind.execute(COUNTS.delete())
    quintile = sa.func.coalesce(F.imd_quintile, NOT_KNOWN_QUINTILE).label("imd_quintile")
    values = [_sql_value(segment).label(segment) for segment in SEGMENTS]
    combinations = (sa.select(F.received_month, F.pathway, quintile, *values,
                              *(sql.label(name) for name, sql in COUNTED.items()))
                    .group_by(F.received_month, F.pathway, quintile, *values).cte("combinations"))
    cell = combinations.c
    base = (cell.received_month, cell.pathway, cell.imd_quintile)
    sums = [sa.func.sum(cell[name]) for name in COUNTED]
    counted = [sa.select(*base, sa.literal(ALL), sa.literal(""), *sums).group_by(*base),
               *(sa.select(*base, sa.literal(segment), cell[segment], *sums).group_by(*base, cell[segment])
                 for segment in SEGMENTS)]
    bind.execute(COUNTS.insert().from_select([*KEYS, *COUNTED], sa.union_all(*counted)))


def downgrade():
    with op.batch_alter_table('referral_fact_counts', schema=None) as batch_op:
        batch_op.drop_column('referrals_with_adjustment')
    with op.batch_alter_table('referral_facts', schema=None) as batch_op:
        batch_op.drop_column('adjustment_in_place')

"""monthly_waits: closed months' wait figures, stored once computed (by the equity sweep) and forgotten when a fact's
wait moves in or out of a month, so the month is read from referral_facts, restated, until it is stored again."""
from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from inclusive_access.models import MonthlyWait

#: what a change to any of these columns can move: a month's group sizes, order or members
_WAIT_COLUMNS = ("first_contact_month", "days_to_first_contact", "pathway", "imd_quintile")


def store(session: Session, figures: list[dict], now: datetime) -> None:
    """Add closed months' figures ({"month", "pathway", "quintile", "n", "median", "lower", "upper"}), none of
    them stored yet."""
    if figures:
        session.execute(insert(MonthlyWait), [{**row, "stored_at": now} for row in figures])


def forget(session: Session, before: dict | None, after: dict) -> None:
    """Delete the stored figures of the months of first contact a fact's change moves (its old and its new), in
    the caller's transaction: a late attendance restates its month."""
    if before is not None and all(before[c] == after[c] for c in _WAIT_COLUMNS):
        return
    months = {fact["first_contact_month"] for fact in (before, after) if fact} - {None}
    if months:
        session.execute(delete(MonthlyWait).where(MonthlyWait.month.in_(sorted(months))))


def forget_all(session: Session) -> None:
    """Delete every stored month (the rebuild may change any fact)."""
    session.execute(delete(MonthlyWait))

"""Worklist pages: overdue work first, then work due today, then later work, each by due time, a page at a time.

Every worklist keeps its open items in an index that leads with "still open" and continues with the column its
clock runs from, so the counts and a page cost what the queue holds, never what the history holds.
"""
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from inclusive_access.domain import actions, clocks
from inclusive_access.models import Event

PER_PAGE = 25
HEADINGS = {"overdue": "Overdue", "today": "Due today", "later": "Due later"}
#: actions that change nothing a worklist shows (reads, sign-ins): a busy service records them every second, and
#: counting them as changes would re-send every worklist every minute
UNCHANGING = (actions.RECORD_VIEWED, actions.FHIR_READ, actions.FHIR_EXPORTED, actions.ACCESS_DENIED,
              actions.LOGIN_SUCCEEDED, actions.LOGIN_FAILED, actions.LOGGED_OUT)


@dataclass(frozen=True)
class Entry:
    item: Any
    due: datetime


@dataclass(frozen=True)
class Group:
    band: str
    heading: str
    #: the band's size in the whole list, not only on this page
    total: int
    entries: list[Entry]


@dataclass(frozen=True)
class BandCount:
    band: str
    heading: str
    total: int
    #: the page the band's first row is on; None when the band is empty
    page: int | None


@dataclass(frozen=True)
class WorklistPage:
    #: the bands with entries on this page, in worklist order
    groups: list[Group]
    #: every band's size in the whole list
    totals: dict[str, int]
    total: int
    page: int
    pages: int
    per_page: int
    #: the newest event that could change what the page shows, when it was read (0 before any)
    as_of: int = 0

    @property
    def rows(self) -> list:
        return [entry.item for group in self.groups for entry in group.entries]

    @property
    def first(self) -> int:
        """The list position of this page's first row (1-based), for "rows 26 to 50 of 142"."""
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.page * self.per_page, self.total)

    @property
    def bands(self) -> list[BandCount]:
        """Every band's size and the page it starts on: "Due today" is one link away however long "Overdue" is."""
        counts, before = [], 0
        for key, size in self.totals.items():
            counts.append(BandCount(key, HEADINGS[key], size, before // self.per_page + 1 if size else None))
            before += size
        return counts

    def fingerprint(self, now: datetime, *viewer) -> str:
        """What the page shows at `now` to `viewer` (who and with which filters), as a short hash: it changes with
        any change to the records (the newest changing event), and with the clock's words on each row and the
        day, which a minute can change."""
        shown = [self.as_of, self.page, self.pages, self.totals, now.astimezone(clocks.LONDON).date(), *viewer]
        for group in self.groups:
            shown += [(entry.item.id, entry.due, clocks.describe(entry.due - now)) for entry in group.entries]
        return hashlib.sha256(repr(shown).encode()).hexdigest()[:32]


def last_change(session: Session) -> int:
    """The newest event that changed a record: found from the log's end, past the reads logged since."""
    return session.scalar(select(Event.seq).where(Event.action.not_in(UNCHANGING))
                          .order_by(Event.seq.desc()).limit(1)) or 0


def band(due: datetime, now: datetime) -> str:
    """Overdue once the due time has passed; due today until midnight in London; later after that."""
    if due < now:
        return "overdue"
    return "today" if due < clocks.end_of_day(now) else "later"


def count(session: Session, query: Select) -> int:
    """How many rows an open-items query holds: a COUNT over the range its index keeps."""
    return session.scalar(query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None))


def page_of(session: Session, query: Select, starts: InstrumentedAttribute, lead: timedelta, order: tuple,
            now: datetime, page: int, per_page: int = PER_PAGE) -> WorklistPage:
    """One page of `query` in `order`, with each row's due time (`starts` + `lead`) and band.

    `order` must put earlier due times first (it may put a "back at the top" priority before them, provided
    those rows are already due): then the bands follow one another and counting each is two comparisons
    on `starts`. A page number beyond either end shows the nearest page.
    """
    as_of = last_change(session)  # first: a change committed while the rows are read shows at the next refresh
    overdue_before, today_before = now - lead, clocks.end_of_day(now) - lead
    total, overdue, by_tonight = session.execute(query.with_only_columns(
        func.count(), func.count(case((starts < overdue_before, 1))), func.count(case((starts < today_before, 1))),
        maintain_column_froms=True).order_by(None)).one()
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = session.scalars(query.order_by(*order).limit(per_page).offset((page - 1) * per_page)).all()
    totals = {"overdue": overdue, "today": by_tonight - overdue, "later": total - by_tonight}
    groups: list[Group] = []
    for row in rows:
        due = getattr(row, starts.key) + lead
        key = band(due, now)
        if not groups or groups[-1].band != key:
            groups.append(Group(key, HEADINGS[key], totals[key], []))
        groups[-1].entries.append(Entry(row, due))
    return WorklistPage(groups=groups, totals=totals, total=total, page=page, pages=pages, per_page=per_page,
                        as_of=as_of)

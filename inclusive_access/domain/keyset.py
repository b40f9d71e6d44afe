"""Keyset paging for lists that grow with history, newest first: a page starts after the last row shown, found by an
index on (..., instant, id), so every page costs the same however many rows there are (no OFFSET, no count of all).
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

#: how a key's instant is written in a URL (UTC, to the microsecond, as stored)
_INSTANT = "%Y-%m-%dT%H:%M:%S.%fZ"
#: the largest id a key may name: past it, PostgreSQL's integers overflow, and no row of ours has it
_MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class Key:
    """Where a row stands in a newest-first list: its instant, then its id to break ties."""

    at: datetime
    id: int

    def token(self) -> str:
        return f"{self.at.astimezone(UTC).strftime(_INSTANT)}~{self.id}"


def parse(token: str | None) -> Key | None:
    """The key a link carried, or None when there is none or it is not one of ours (a hand-edited URL shows the
    first page rather than an error)."""
    instant, _, number = (token or "").partition("~")
    if not number.isascii() or not number.isdecimal() or not 0 < int(number) <= _MAX_ID:
        return None
    try:
        at = datetime.strptime(instant, _INSTANT).replace(tzinfo=UTC)
    except ValueError:
        return None
    return Key(at, int(number))


@dataclass(frozen=True)
class KeysetPage:
    """One page of rows, newest first, with the keys its "Previous" and "Next" links carry (None: no such page)."""

    rows: list
    newer: Key | None
    older: Key | None


class Order:
    """A newest-first order on (instant, id) columns that an index holds in that order after any equality filters."""

    def __init__(self, at: InstrumentedAttribute, id_: InstrumentedAttribute, key_of: Callable[[object], Key]):
        self.at, self.id, self.key_of = at, id_, key_of

    def older(self, key: Key) -> ColumnElement[bool]:
        # `at <= key` bounds the index range; the OR only sorts out rows at the very same instant
        return and_(self.at <= key.at, or_(self.at < key.at, self.id < key.id))

    def newer(self, key: Key) -> ColumnElement[bool]:
        return and_(self.at >= key.at, or_(self.at > key.at, self.id > key.id))

    def newest_first(self, query: Select) -> Select:
        return query.order_by(self.at.desc(), self.id.desc())

    def oldest_first(self, query: Select) -> Select:
        return query.order_by(self.at.asc(), self.id.asc())


def page(session: Session, query: Select, order: Order, *, after: Key | None = None, before: Key | None = None,
         per_page: int = 50) -> KeysetPage:
    """The rows of `query` just older than `after` ("Next"), or just newer than `before` ("Previous"), or the newest
    when neither is given; a "Previous" that reaches the newest rows, or a "Next" past the oldest, gives the first
    page, so the first page is always full."""
    if before is not None:
        found = session.execute(order.oldest_first(query.where(order.newer(before))).limit(per_page + 1)).all()
        if len(found) > per_page:
            rows = found[:per_page][::-1]
            return KeysetPage(rows, newer=order.key_of(rows[0]), older=_if_any(session, query, order, rows[-1]))
    elif after is not None:
        found = session.execute(order.newest_first(query.where(order.older(after))).limit(per_page + 1)).all()
        if found:
            rows = found[:per_page]
            newer = order.key_of(rows[0])
            return KeysetPage(rows, newer=newer if _exists(session, query.where(order.newer(newer)), order) else None,
                              older=order.key_of(rows[-1]) if len(found) > per_page else None)
    found = session.execute(order.newest_first(query).limit(per_page + 1)).all()
    rows = found[:per_page]
    return KeysetPage(rows, newer=None, older=order.key_of(rows[-1]) if len(found) > per_page else None)


def _if_any(session: Session, query: Select, order: Order, row) -> Key | None:
    key = order.key_of(row)
    return key if _exists(session, query.where(order.older(key)), order) else None


def _exists(session: Session, query: Select, order: Order) -> bool:
    """Whether the query has a row: one probe of the same index the page read. Asked in the page's order, not as
    EXISTS, whose ORDER BY PostgreSQL drops: on a small table it may then probe any index that starts with the
    same column, and on a large one walk a user's whole history."""
    return session.execute(order.newest_first(query.with_only_columns(order.id)).limit(1)).first() is not None


def bounded_count(session: Session, query: Select, order: Order, bound: int) -> int:
    """How many rows the query has, counting no further than bound + 1 (read from the page's index): a list says
    "more than {bound}" rather than count every row there has ever been."""
    return session.scalar(select(func.count()).select_from(
        query.with_only_columns(order.id).limit(bound + 1).subquery()))

"""UK days in SQL: the Europe/London date of a stored UTC time, and a date some days on, on SQLite and PostgreSQL
alike, so a report can compare a timed contact with a dated one (an urgent contact, a planned follow-up) in the
database."""
from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class uk_date(FunctionElement):  # noqa: N801 - used as a function, like func.*
    """The UK date of a UTC time column (stored naive, as UTCDateTime stores it)."""

    type = Date()
    inherit_cache = True


class days_after(FunctionElement):  # noqa: N801 - used as a function, like func.*
    """A date column or expression plus a whole number of days."""

    type = Date()
    inherit_cache = True

    def __init__(self, day, days: int):
        self.days = int(days)
        super().__init__(day)


@compiles(uk_date)
def _uk_date(element, compiler, **kw) -> str:
    return f"CAST(timezone('Europe/London', timezone('UTC', {compiler.process(element.clauses, **kw)})) AS DATE)"


@compiles(uk_date, "sqlite")
def _uk_date_sqlite(element, compiler, **kw) -> str:
    # SQLite has no time zones: British Summer Time by its rule since 1996, from 01:00 UTC on the last Sunday of
    # March to 01:00 UTC on the last Sunday of October (the Sunday on or after the 25th)
    at = compiler.process(element.clauses, **kw)

    def change(month_end: str) -> str:
        return f"datetime(date(strftime('%Y', {at}) || '{month_end}', '-6 days', 'weekday 0'), '+1 hour')"

    return (f"date({at}, CASE WHEN {at} >= {change('-03-31')} AND {at} < {change('-10-31')} "
            "THEN '+1 hour' ELSE '+0 hours' END)")


@compiles(days_after)
def _days_after(element, compiler, **kw) -> str:
    return f"({compiler.process(element.clauses, **kw)} + {element.days})"


@compiles(days_after, "sqlite")
def _days_after_sqlite(element, compiler, **kw) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+{element.days} days')"

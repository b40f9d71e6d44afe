"""The quarterly equity review, a board paper: for a quarter, each equity KPI's gap per pathway in each of its months
and pooled over each of the last four quarters, against its threshold, with the governance items about the
quarter or open during it. As published: counts of 1 to 7 shown as "*", and a gap that would give back a value
resting on them hidden (kpi.GapMonth.shared)."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from inclusive_access.domain import governance
from inclusive_access.domain.kpis import KPIS, Kpi
from inclusive_access.domain.policy import Policy
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import GovernanceItem
from inclusive_access.reporting import kpi as measured
from inclusive_access.reporting import periods

#: quarters the trend shows, ending with the one reviewed
TREND_QUARTERS = 4


@dataclass(frozen=True)
class PathwayGaps:
    pathway: str
    threshold: float
    min_n: int
    #: the quarter's months (None: before the pathway's first data)
    months: tuple[measured.GapMonth | None, ...]
    #: each trend quarter pooled, oldest first, labelled 'YYYY-Qn'
    quarters: tuple[measured.GapMonth, ...]


@dataclass(frozen=True)
class KpiReview:
    kpi: Kpi
    pathways: tuple[PathwayGaps, ...]
    items: tuple[GovernanceItem, ...]


@dataclass(frozen=True)
class Review:
    quarter: str
    months: tuple[str, ...]
    trend: tuple[str, ...]
    kpis: tuple[KpiReview, ...]


def _start(month: str) -> datetime:
    return datetime(int(month[:4]), int(month[5:]), 1, tzinfo=LONDON)


def _kpi_review(session: Session, kpi: Kpi, pathways: list[str], quarter: str, policy: Policy,
                items: list[GovernanceItem]) -> KpiReview:
    months, trend = periods.quarter_months(quarter), periods.quarters_to(quarter, TREND_QUARTERS)
    series = {s.pathway: s.shared() for s in measured.gap_series(session, pathways, months[-1], policy, kpi=kpi)}
    pooled = measured.quarterly_gaps(session, pathways, trend, policy, kpi)
    rows = []
    for pathway in pathways:
        by_month = {m.month: m for m in series[pathway].months}
        rows.append(PathwayGaps(pathway, series[pathway].threshold, series[pathway].min_n,
                                tuple(by_month.get(month) for month in months),
                                tuple(q.shared() for q in pooled[pathway])))
    return KpiReview(kpi, tuple(rows), tuple(i for i in items if i.kpi == kpi.code))


def review(session: Session, pathways: list[str], quarter: str, policy: Policy) -> Review:
    months = periods.quarter_months(quarter)
    items = governance.items_of_quarter(session, months[0], months[-1], _start(months[0]),
                                        _start(periods.months_back(months[-1], 0)))
    return Review(quarter, tuple(months), tuple(periods.quarters_to(quarter, TREND_QUARTERS)),
                  tuple(_kpi_review(session, kpi, pathways, quarter, policy, items) for kpi in KPIS.values()))

"""The service's local policy choices (DOMAIN.md settings), passed explicitly into the domain."""
from collections.abc import Mapping
from dataclasses import dataclass, field

from inclusive_access.domain.clocks import ClockSettings

#: the largest count shared views and exports show as "*" (DOMAIN.md: counts of 1 to 7)
LARGEST_SUPPRESSED = 7


@dataclass(frozen=True)
class Policy:
    #: IMD quintiles that raise the deprivation flag (default: quintile 1, "Core20")
    deprivation_quintiles: tuple[int, ...] = (1,)
    clocks: ClockSettings = field(default_factory=ClockSettings)
    #: the equity KPI: a gap in median wait (quintile 1 minus 5) above this many days needs a governance record
    equity_gap_days: float = 2.0
    #: per-pathway thresholds, (code, days) pairs, overriding equity_gap_days
    equity_gap_days_by_pathway: tuple[tuple[str, float], ...] = ()
    #: people with a first contact needed at each end (quintile 1 and 5) for a month's gap to be judged; below it
    #: the month is "too few to judge". 10 is the fewest whose 95% interval for the gap no longer runs from the
    #: shortest to the longest wait at each end (README, "The equity KPI")
    equity_gap_min_n: int = 10
    #: the improvement KPI: quintile 5's share improved less quintile 1's, above this many percentage points,
    #: needs a governance record
    improvement_gap_points: float = 10.0
    #: per-pathway thresholds, (code, points) pairs, overriding improvement_gap_points
    improvement_gap_points_by_pathway: tuple[tuple[str, float], ...] = ()
    #: people with a follow-up needed at each end for a month's improvement gap to be judged: a share of 20 moves
    #: 5 points with each person, so fewer would judge a month on one or two people's answers
    improvement_gap_min_n: int = 20

    def __post_init__(self) -> None:
        # A judged month opens a governance item that the commissioners' report lists with its gap, so neither
        # end may rest on a count the shared views hide.
        for setting, value, rests_on in (("EQUITY_GAP_MIN_N", self.equity_gap_min_n, "medians"),
                                         ("IMPROVEMENT_GAP_MIN_N", self.improvement_gap_min_n, "shares")):
            if value <= LARGEST_SUPPRESSED:
                raise ValueError(f"{setting} must be at least {LARGEST_SUPPRESSED + 1}, as shared views hide "
                                 f"{rests_on} resting on 1 to {LARGEST_SUPPRESSED} people; got {value}")

    def gap_threshold(self, pathway: str) -> float:
        return dict(self.equity_gap_days_by_pathway).get(pathway, self.equity_gap_days)

    def improvement_gap_threshold(self, pathway: str) -> float:
        return dict(self.improvement_gap_points_by_pathway).get(pathway, self.improvement_gap_points)

    @classmethod
    def from_mapping(cls, cfg: Mapping) -> "Policy":
        by_pathway = cfg.get("EQUITY_GAP_THRESHOLD_DAYS_BY_PATHWAY", {})
        improvement_by_pathway = cfg.get("IMPROVEMENT_GAP_THRESHOLD_POINTS_BY_PATHWAY", {})
        return cls(deprivation_quintiles=tuple(cfg.get("DEPRIVATION_FLAG_QUINTILES", (1,))),
                   clocks=ClockSettings.from_mapping(cfg),
                   equity_gap_days=float(cfg.get("EQUITY_GAP_THRESHOLD_DAYS", 2.0)),
                   equity_gap_days_by_pathway=tuple((code, float(days)) for code, days in by_pathway.items()),
                   equity_gap_min_n=int(cfg.get("EQUITY_GAP_MIN_N", 10)),
                   improvement_gap_points=float(cfg.get("IMPROVEMENT_GAP_THRESHOLD_POINTS", 10.0)),
                   improvement_gap_points_by_pathway=tuple(
                       (code, float(points)) for code, points in improvement_by_pathway.items()),
                   improvement_gap_min_n=int(cfg.get("IMPROVEMENT_GAP_MIN_N", 20)))


DEFAULT_POLICY = Policy()

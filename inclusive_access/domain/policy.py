"""The service's local policy choices (DOMAIN.md settings), passed explicitly into the domain."""
from collections.abc import Mapping
from dataclasses import dataclass, field

from inclusive_access.domain.clocks import ClockSettings


@dataclass(frozen=True)
class Policy:
    #: IMD quintiles that raise the deprivation flag (default: quintile 1, "Core20")
    deprivation_quintiles: tuple[int, ...] = (1,)
    clocks: ClockSettings = field(default_factory=ClockSettings)
    #: the equity KPI: a gap in median wait (quintile 1 minus 5) above this many days needs a governance record
    equity_gap_days: float = 2.0
    #: per-pathway thresholds, (code, days) pairs, overriding equity_gap_days
    equity_gap_days_by_pathway: tuple[tuple[str, float], ...] = ()

    def gap_threshold(self, pathway: str) -> float:
        return dict(self.equity_gap_days_by_pathway).get(pathway, self.equity_gap_days)

    @classmethod
    def from_mapping(cls, cfg: Mapping) -> "Policy":
        by_pathway = cfg.get("EQUITY_GAP_THRESHOLD_DAYS_BY_PATHWAY", {})
        return cls(deprivation_quintiles=tuple(cfg.get("DEPRIVATION_FLAG_QUINTILES", (1,))),
                   clocks=ClockSettings.from_mapping(cfg),
                   equity_gap_days=float(cfg.get("EQUITY_GAP_THRESHOLD_DAYS", 2.0)),
                   equity_gap_days_by_pathway=tuple((code, float(days)) for code, days in by_pathway.items()))


DEFAULT_POLICY = Policy()

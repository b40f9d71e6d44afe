"""The service's local policy choices (DOMAIN.md settings), passed explicitly into the domain."""
from collections.abc import Mapping
from dataclasses import dataclass, field

from inclusive_access.domain.clocks import ClockSettings


@dataclass(frozen=True)
class Policy:
    #: IMD quintiles that raise the deprivation flag (default: quintile 1, "Core20")
    deprivation_quintiles: tuple[int, ...] = (1,)
    clocks: ClockSettings = field(default_factory=ClockSettings)

    @classmethod
    def from_mapping(cls, cfg: Mapping) -> "Policy":
        return cls(deprivation_quintiles=tuple(cfg.get("DEPRIVATION_FLAG_QUINTILES", (1,))),
                   clocks=ClockSettings.from_mapping(cfg))


DEFAULT_POLICY = Policy()

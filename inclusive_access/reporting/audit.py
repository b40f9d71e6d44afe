"""An audit sample's summary: compliance per checklist item, overall and per stratum, with Wilson 95% intervals."""
from dataclasses import dataclass

from sqlalchemy.orm import Session

from inclusive_access.reporting import queries, stats

#: answers that count towards the denominator; "not applicable" is left out
JUDGED = ("compliant", "partly", "not_compliant")


@dataclass(frozen=True)
class Compliance:
    """One checklist item (in one stratum, or overall): answer counts and the compliant rate with its interval."""

    item: str
    stratum: str | None
    counts: dict[str, int]
    judged: int
    rate: float | None
    lower: float | None
    upper: float | None


def _compliance(item: str, stratum: str | None, counts: dict[str, int]) -> Compliance:
    judged = sum(counts.get(a, 0) for a in JUDGED)
    if not judged:
        return Compliance(item, stratum, counts, 0, None, None, None)
    return Compliance(item, stratum, counts, judged, counts.get("compliant", 0) / judged,
                      *stats.wilson_ci(counts.get("compliant", 0), judged))


def summary(session: Session, sample_id: int, items: list[str]) -> tuple[list[Compliance], list[Compliance]]:
    """(overall per item, per item and stratum) from one GROUP BY over the sample's current findings."""
    overall: dict[str, dict] = {item: {} for item in items}
    by_stratum: dict[tuple[str, str | None], dict] = {}
    for row in queries.audit_answer_counts(session, sample_id):
        overall.setdefault(row["item"], {})
        overall[row["item"]][row["answer"]] = overall[row["item"]].get(row["answer"], 0) + row["n"]
        cell = by_stratum.setdefault((row["item"], row["stratum"]), {})
        cell[row["answer"]] = cell.get(row["answer"], 0) + row["n"]
    return ([_compliance(item, None, overall[item]) for item in items],
            [_compliance(item, stratum, counts) for (item, stratum), counts in sorted(
                by_stratum.items(), key=lambda kv: (items.index(kv[0][0]) if kv[0][0] in items else 99,
                                                    kv[0][1] or ""))])

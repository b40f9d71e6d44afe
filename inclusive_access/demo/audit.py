"""A clinical audit of the year's reasonable adjustments: a stratified sample, half of it judged."""
import random
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from inclusive_access.domain import audit_findings, audit_sampling
from inclusive_access.domain.validation import LONDON


def audit_sample(session: Session, rng: random.Random, auditor, now: datetime) -> None:
    """A stratified sample of the year's adjustments, half of it judged, one finding revised."""
    this_month = now.astimezone(LONDON).strftime("%Y-%m")
    year_ago = (now - timedelta(days=330)).astimezone(LONDON).strftime("%Y-%m")
    sample = audit_sampling.draw_sample(session, auditor, audit_sampling.SampleRequest(
        "adjustment", year_ago, this_month, 12, rng.randrange(audit_sampling.PRIME), stratify_by="imd_quintile",
        allocation="proportional"), now=now)
    items = list(audit_findings.CHECKLISTS["adjustment"])
    for record in sample.records[:len(sample.records) // 2]:
        answers = {item: rng.choices(list(audit_findings.ANSWERS), [70, 15, 10, 5])[0] for item in items}
        audit_findings.record_finding(session, auditor, record, audit_findings.FindingDetails(
            answers, note="Demo finding"), None, now=now)
    if sample.records:
        first = sample.records[0]
        audit_findings.record_finding(session, auditor, first, audit_findings.FindingDetails(
            dict.fromkeys(items, "compliant"), note="Demo finding, revised", reason="Banner checked again"), 1,
            now=now)


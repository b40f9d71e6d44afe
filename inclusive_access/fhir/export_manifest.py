"""What the status URL of a bulk export answers: its progress while it runs, its manifest once done (FHIR Bulk Data
Access IG, the complete-status body)."""
import json
from collections.abc import Callable

from inclusive_access.fhir.resources import instant
from inclusive_access.models import ExportJob


def progress(job: ExportJob) -> str:
    """X-Progress: where the job is, in words."""
    if job.state == "queued":
        return "Queued"
    written, types = json.loads(job.progress), job.types.split()
    if not written:
        return f"Started: 0 of {len(types)} types written"
    current = written[-1]
    return f"{len(written) - 1} of {len(types)} types written; {current['type']}: {current['count']:,} so far"


def manifest(job: ExportJob, file_url: Callable[[str], str]) -> dict:
    """The done job's files, one per type that has resources (a type with none has no file), and no errors: a
    resource that cannot be built fails the whole job rather than being left out."""
    return {
        "transactionTime": instant(job.transaction_time), "request": job.request_url, "requiresAccessToken": True,
        "output": [{"type": item["type"], "url": file_url(item["type"]), "count": item["count"]}
                   for item in json.loads(job.progress) if item["count"]],
        "error": [],
    }

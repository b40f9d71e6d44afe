"""Bulk export (FHIR Bulk Data Access IG, system level): GET /fhir/$export queues a job and answers 202 with its
status URL; the status URL answers 202 with its progress while it runs, then 200 with the manifest; DELETE there
cancels it (or removes its files); each file URL streams one type's NDJSON. Every URL needs the client's token, and
a job is its client's alone: another client's is 404, as an unknown one is."""
import json
import re
from datetime import UTC, datetime

from flask import Response, current_app, request, url_for
from werkzeug.http import http_date

from inclusive_access.blueprints import commands
from inclusive_access.blueprints.fhir import bp, credentials
from inclusive_access.blueprints.fhir.answers import MEDIA_TYPE, Refusal
from inclusive_access.domain import api_clients, export_jobs
from inclusive_access.extensions import db
from inclusive_access.fhir import export_manifest, export_run
from inclusive_access.models import ApiClient, ExportJob

NDJSON = "application/fhir+ndjson"
#: the IG's names for NDJSON, all of which a server must accept
OUTPUT_FORMATS = (NDJSON, "application/ndjson", "ndjson")
PARAMETERS = ("_type", "_since", "_outputFormat")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")
#: seconds a client is asked to wait between polls of a running export
POLL_SECONDS = 5


@bp.get("/$export")
def export_kick_off():
    client, grant = credentials.bearer_grant()
    types, since = _kick_off_request(client, grant)
    try:
        job = commands.committed(lambda: export_jobs.request_export(db.session, client, types, since, request.url))
    except export_jobs.ExportInProgress as exc:
        raise Refusal(429, "This client has an export in progress: one at a time", {
            "Retry-After": str(POLL_SECONDS)}) from exc
    return Response(status=202, headers={"Content-Location": url_for(
        "fhir.export_status", job_id=job.job_id, _external=True)})


def _kick_off_request(client: ApiClient, grant) -> tuple[list[str], datetime | None]:
    """The types to export and _since, from a kick-off the IG's way (400 otherwise): asynchronous, an
    OperationOutcome accepted, NDJSON, and no parameter we do not answer (unless the client asks for them to be
    ignored, Prefer: handling=lenient)."""
    preferences = {value.strip().lower() for value in request.headers.get("Prefer", "").split(",")}
    if "respond-async" not in preferences:
        raise Refusal(400, "An export runs asynchronously: send Prefer: respond-async")
    if MEDIA_TYPE not in request.accept_mimetypes.values():
        raise Refusal(400, f"Send Accept: {MEDIA_TYPE} (the format of any OperationOutcome)")
    unknown = sorted(set(request.args) - set(PARAMETERS))
    if unknown and "handling=lenient" not in preferences:
        raise Refusal(400, f"This server does not answer {', '.join(unknown)} (send Prefer: handling=lenient to "
                           f"have them ignored); it answers {', '.join(PARAMETERS)}")
    if request.args.get("_outputFormat", NDJSON) not in OUTPUT_FORMATS:
        raise Refusal(400, f"_outputFormat: only {NDJSON} is written")
    return _types(client, grant), _since()


def _types(client: ApiClient, grant) -> list[str]:
    """_type's types (comma-separated, repeatable), or, without it, every type the client may read: 400 for one we
    do not serve, 403 for one the client may not read."""
    readable = credentials.readable(client, grant)
    asked = [name.strip() for value in request.args.getlist("_type") for name in value.split(",") if name.strip()]
    if not asked:
        if not readable:
            raise Refusal(403, "The token grants no resource type to read")
        return readable
    if unknown := [name for name in asked if name not in api_clients.RESOURCE_TYPES]:
        raise Refusal(400, f"_type: this server does not serve {', '.join(unknown)} (see /fhir/metadata)")
    if refused := [name for name in asked if name not in readable]:
        scopes = " ".join(api_clients.scope_for(name) for name in refused)
        raise Refusal(403, f"The token does not grant {scopes}",
                      {"WWW-Authenticate": f'Bearer realm="fhir", error="insufficient_scope", scope="{scopes}"'})
    return list(dict.fromkeys(asked))


def _since() -> datetime | None:
    value = request.args.get("_since")
    if value is None:
        return None
    if not _INSTANT.fullmatch(value):
        raise Refusal(400, f"_since: expected a FHIR instant with its time zone (2026-12-01T09:00:00Z), not {value!r}")
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except ValueError as exc:
        raise Refusal(400, f"_since: not a real time: {value!r}") from exc


def _job(client: ApiClient, job_id: str) -> ExportJob:
    job = export_jobs.of_client(db.session, client, job_id)
    if job is None:
        raise Refusal(404, "There is no such export (it may have expired or been cancelled)")
    return job


@bp.route("/$export-status/<string:job_id>", methods=["GET", "DELETE"])
def export_status(job_id: str):
    client, _grant = credentials.bearer_grant()
    job = _job(client, job_id)
    if request.method == "DELETE":
        was = commands.committed(lambda: export_jobs.cancel(db.session, job))
        if was == "done":  # a running job's worker removes what it wrote when it sees the cancellation
            export_run.remove_files(_folder(), job.job_id)
        return Response(status=202)
    if job.state in export_jobs.IN_PROGRESS:
        return Response(status=202, headers={"X-Progress": export_manifest.progress(job),
                                             "Retry-After": str(POLL_SECONDS)})
    if job.state == "failed":
        raise Refusal(500, "The export failed: start a new one")
    body = export_manifest.manifest(job, lambda resource_type: url_for(
        "fhir.export_file", job_id=job.job_id, resource_type=resource_type, _external=True))
    return Response(json.dumps(body), 200, {"Expires": http_date(job.expires_at)}, mimetype="application/json")


@bp.get("/$export-file/<string:job_id>/<string:resource_type>")
def export_file(job_id: str, resource_type: str):
    """One type's file, streamed from disk in chunks; the client must still be granted the type's read scope."""
    client = credentials.bearer_client(resource_type)
    job = _job(client, job_id)
    path = export_run.file_path(_folder(), job.job_id, resource_type)
    if job.state != "done" or not path.is_file():
        raise Refusal(404, f"This export has no {resource_type} file")
    db.session.rollback()  # nothing to write: end the transaction before the long send
    if proxy := current_app.config.get("FHIR_EXPORT_ACCEL_REDIRECT"):
        # the proxy sends it: a sync worker sending gigabytes would be killed at its timeout
        return Response(mimetype=NDJSON, headers={"X-Accel-Redirect": f"{proxy.rstrip('/')}/{path.parent.name}/"
                                                                       f"{path.name}"})
    handle = path.open("rb")
    return Response(_chunks(handle), mimetype=NDJSON, headers={"Content-Length": str(path.stat().st_size)})


def _chunks(handle, size: int = 64 * 1024):
    with handle:
        while chunk := handle.read(size):
            yield chunk


def _folder():
    return export_run.directory(current_app.config, current_app.instance_path)

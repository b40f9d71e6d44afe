"""Read-only requests that never wait for the single writer: their transactions begin DEFERRED, and the writes they
cause (domain/later.py) go to a durable per-process spool before the page is sent and into the database after.

What happens on a crash. A read request's writes (its views, its refusal, its session's touch) are appended to
this process's spool file as one line and fsynced before its response leaves the app, so a page that was sent has
its line on disk. After the response is sent the process applies its spool in one short write transaction
(BEGIN IMMEDIATE, waiting for the lock as any writer does) and clears the file once that has committed. If the
process dies before then, the file stays; the first response of any process started later over the same database
(a replacement worker) finds it unlocked (each live process holds an exclusive flock on its own file), applies it
and deletes it. That recovery skips events already in the log (the process may have died between its commit and
clearing its file; each event's data holds the moment its page was shown, and a touch or a removal is the same done
twice), and ignores a last line without its newline: that request died before its page was sent. So a view that
was shown is logged once, even after a crash, unless the machine itself loses what it had fsynced."""
import atexit
import fcntl
import hashlib
import json
import logging
import os
import secrets
import threading
from pathlib import Path

from flask import Flask, g, request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from inclusive_access import database
from inclusive_access.domain import later
from inclusive_access.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: GET routes that change something (not just log it), so they begin IMMEDIATE and write in their own transaction:
#: the provider's sign-in callback creates the session (and perhaps the account), a bulk export's kick-off creates
#: the job, and a questionnaire link counts every request on it towards its limit
WRITES_ON_GET = frozenset({"auth.finish_oidc_sign_in", "fhir.export_kick_off", "patient_link.answer_questionnaire"})
#: Session.info key marking the session that applies a spool: its commit is a batch's, not a request's
DRAIN = "write_spool_drain"
log = logging.getLogger(__name__)


class Spool:
    """One process's file of writes left for later, under a directory shared by every process over one database."""

    def __init__(self, directory: Path, engine: Engine):
        self.directory, self.engine = directory, engine
        self._file_lock, self._drain_lock = threading.Lock(), threading.Lock()
        self._fd: int | None = None
        self._pid = self.path = None
        self._applied = 0  # bytes of our file already applied
        self.recovered = False

    def _own_file(self) -> int:
        """This process's file, made on first use (after a fork, a new one), locked for the process's life."""
        if self._pid != os.getpid():
            self.directory.mkdir(parents=True, exist_ok=True)
            self.path = self.directory / f"{os.getpid()}-{secrets.token_hex(4)}.jsonl"
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            self._pid, self._applied = os.getpid(), 0
            atexit.register(self._remove_if_empty, self.path, self._fd)
        return self._fd

    def append(self, entries: list[dict]) -> None:
        """One request's writes, on disk before its page is sent."""
        line = (json.dumps(entries) + "\n").encode()
        with self._file_lock:
            fd = self._own_file()
            os.write(fd, line)
            os.fdatasync(fd)

    def pending(self) -> bool:
        with self._file_lock:
            return self._pid == os.getpid() and os.fstat(self._fd).st_size > self._applied

    def drain(self) -> None:
        """Apply this process's spooled writes, and once per process any that stopped processes left."""
        with self._drain_lock:
            try:
                if not self.recovered:
                    self._recover()
                    self.recovered = True
                if self.pending():
                    self._drain_own()
            except Exception:  # the writes stay spooled: the next drain, or a later process, applies them
                log.exception("write spool not drained")

    def _drain_own(self) -> None:
        with self._file_lock:
            end = os.fstat(self._fd).st_size
            text = os.pread(self._fd, end - self._applied, self._applied)
        self._apply(text, recovered=False)
        with self._file_lock:
            if os.fstat(self._fd).st_size == end:  # nothing appended meanwhile: start the file afresh
                os.ftruncate(self._fd, 0)
                end = 0
            self._applied = end

    def _recover(self) -> None:
        """Files of processes that stopped: unlocked, because a process's lock ends with it."""
        for path in self.directory.glob("*.jsonl") if self.directory.exists() else ():
            if path == self.path:
                continue
            try:
                fd = os.open(path, os.O_RDWR)
            except FileNotFoundError:  # another process recovered it
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if os.fstat(fd).st_nlink:  # not already recovered and removed by another process
                    self._apply(os.pread(fd, os.fstat(fd).st_size, 0), recovered=True)
                    os.unlink(path)
            except BlockingIOError:  # its process is alive
                pass
            finally:
                os.close(fd)

    def _apply(self, text: bytes, recovered: bool) -> None:
        """Every complete line, in one write transaction (BEGIN IMMEDIATE: this runs outside any request)."""
        entries = [entry for line in text.split(b"\n")[:-1] for entry in json.loads(line)]
        if entries:
            with Session(self.engine, info={DRAIN: True}) as session:
                later.apply(session, entries, recovered)
                session.commit()

    @staticmethod
    def _remove_if_empty(path: Path, fd: int) -> None:
        if os.getpid() == int(path.name.partition("-")[0]) and not os.fstat(fd).st_size:
            path.unlink(missing_ok=True)


def _directory(app: Flask, engine: Engine) -> Path:
    """Per database: a spool is only ever applied to the database its writes were read from."""
    base = app.config["WRITE_SPOOL_DIR"] or Path(app.instance_path) / "write-spool"
    key = hashlib.sha256(engine.url.set(password=None).render_as_string().encode()).hexdigest()[:16]
    return Path(base) / key


def init_app(app: Flask) -> None:
    """Before the route guard (which reads the session): mark reads; last after the page: spool their writes."""
    with app.app_context():
        spool = Spool(_directory(app, db.engine), db.engine)
    app.extensions["write_spool"] = spool

    @app.before_request
    def start_reading():
        if request.method in SAFE_METHODS and request.endpoint not in WRITES_ON_GET:
            g.reading = database.READING.set(True)
            later.start_reading(db.session)

    @app.after_request
    def spool_writes(response):
        entries = later.taken(db.session)
        if entries:
            spool.append(entries)
        if entries or spool.pending() or not spool.recovered:
            response.call_on_close(spool.drain)
        return response

    @app.teardown_request
    def stop_reading(_error):
        if "reading" in g:
            database.READING.reset(g.pop("reading"))

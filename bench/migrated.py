"""The database a benchmark runs on: the one given, or a SQLite file under the temp folder, migrated to head."""
import tempfile
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text

from config import DevelopmentConfig
from inclusive_access import create_app
from inclusive_access.extensions import db


def bench_app(url: str | None, name: str, reuse: bool) -> Flask:
    """The app over `url`, or over the SQLite file `name`.db under the temp folder (a new one unless `reuse`),
    its database migrated to head."""
    if url is None:
        path = Path(tempfile.gettempdir()) / f"{name}.db"
        if not reuse:
            for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                stale.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    app = create_app(DevelopmentConfig, {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-only-not-a-secret",
                                         "AUDIT_CHAIN_KEY": "be" * 32, "FHIR_TOKEN_KEY": "be" * 32})
    with app.app_context():
        upgrade()
    return app


def opened(url: str | None, name: str, reuse: bool) -> tuple[Flask, int, str]:
    """bench_app, with how many events its database already holds and which engine and version it is."""
    app = bench_app(url, name, reuse)
    with app.app_context():
        existing = db.session.scalar(text("SELECT count(*) FROM events"))
        db.session.rollback()
        backend = f"{db.engine.dialect.name} {'.'.join(map(str, db.engine.dialect.server_version_info or ()))}"
    return app, existing, backend

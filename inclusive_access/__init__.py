"""Application factory: the composition root that wires config, extensions, security and blueprints."""
import os
from pathlib import Path

from flask import Flask, send_from_directory
from flask.templating import Environment
from jinja2 import ChainableUndefined, ChoiceLoader, PackageLoader

from config import CONFIGS, Config

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_class: type[Config] | None = None, overrides: dict | None = None) -> Flask:
    """Build the app; `overrides` lets tests point it at their own database."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
                instance_path=str(ROOT / "instance"))
    if config_class is None:
        config_class = CONFIGS[os.environ.get("IA_ENV", "production")]
    app.config.from_object(config_class)
    app.config.update(overrides or {})
    validate_config(app)
    configure_audit_chain(app)
    configure_fhir_tokens(app)
    load_instruments(app)
    Path(app.instance_path).mkdir(exist_ok=True)
    configure_jinja(app)
    register_observability(app)
    register_edge(app)
    register_extensions(app)
    register_security(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def validate_config(app: Flask) -> None:
    """Refuse to start without a secret key (sessions signed with a default key are forgeable), or with a policy,
    message or sign-in setting that cannot be honoured."""
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set. Set it in the environment (see README).")
    if not isinstance(app.config["SECRET_KEY_FALLBACKS"], list):
        raise RuntimeError("SECRET_KEY_FALLBACKS must be a list")
    from inclusive_access.domain.outbox import MessageSettings
    from inclusive_access.domain.policy import Policy

    try:  # a setting the reports or the messages cannot honour stops the start rather than the first use
        Policy.from_mapping(app.config)
        MessageSettings.from_mapping(app.config)
        validate_sign_in(app.config)
    except ValueError as exc:
        raise RuntimeError(f"{exc} (see the configuration table in README.md)") from exc


def validate_sign_in(cfg) -> None:
    """Someone must be able to sign in, and a role map must name only our roles."""
    from inclusive_access.blueprints.auth import provider
    from inclusive_access.domain.oidc_accounts import ProviderRules

    if provider.configured(cfg):
        ProviderRules.from_mapping(cfg)
    elif not cfg["LOCAL_PASSWORDS_ENABLED"]:
        raise ValueError("LOCAL_PASSWORDS_ENABLED is false but no OpenID Connect provider is configured "
                         "(OIDC_ISSUER and OIDC_CLIENT_ID): no one could sign in")


def configure_audit_chain(app: Flask) -> None:
    """Refuse to start without the event chain's key: with the hash alone, anyone who may INSERT can forge events."""
    from inclusive_access.domain import chain_keys

    try:
        keyring = chain_keys.Keyring.parse(app.config.get("AUDIT_CHAIN_KEY"), app.config["AUDIT_CHAIN_KEY_ID"],
                                           app.config["AUDIT_CHAIN_OLD_KEYS"])
    except ValueError as exc:
        raise RuntimeError(f"{exc} (see the configuration table in README.md)") from exc
    chain_keys.configure_keys(keyring)


def configure_fhir_tokens(app: Flask) -> None:
    """Refuse to start without the key that signs the FHIR API's tokens: a default one would let anyone mint them."""
    from inclusive_access.fhir import tokens

    try:
        app.extensions["fhir_token_key"] = tokens.parse_key(app.config.get("FHIR_TOKEN_KEY"))
    except ValueError as exc:
        raise RuntimeError(f"{exc} (see the configuration table in README.md)") from exc


def load_instruments(app: Flask) -> None:
    """Refuse to start with an outcome instrument the app could not score correctly, naming the file and why."""
    from inclusive_access.domain import instrument_files

    directory = app.config.get("INSTRUMENTS_DIR")
    try:
        app.extensions["instruments"] = instrument_files.load(Path(directory) if directory
                                                              else instrument_files.SHIPPED_DIR)
    except instrument_files.InstrumentFileError as exc:
        raise RuntimeError(f"{exc} (see \"Outcome instruments\" in README.md)") from exc


class SnapshotGlobalsEnvironment(Environment):
    """Each template's globals as a plain dict, copied when it is loaded, rather than Jinja's ChainMap over the
    environment's. Every `{% from ... import %}` compares the caller's globals with the imported template's, and
    the NHS.UK components import on every call: over a ChainMap that comparison is a Python loop per global, over
    a dict it is one C call. Jinja asks that globals not change once templates load, and ours are all set at
    start-up."""

    def make_globals(self, d):
        return {**self.globals, **(d or {})}


def configure_jinja(app: Flask) -> None:
    """NHS.UK macros need ChainableUndefined; autoescape everything, .jinja included."""
    app.jinja_environment = SnapshotGlobalsEnvironment
    app.jinja_options = {
        **app.jinja_options,
        "undefined": ChainableUndefined,
        "autoescape": True,
        "loader": ChoiceLoader([app.create_global_jinja_loader(), PackageLoader("nhsuk_frontend_jinja")]),
        # Compiled templates shared between app instances (the test suite makes many).
        "bytecode_cache": app.config.get("JINJA_BYTECODE_CACHE"),
    }
    from inclusive_access import template_filters

    template_filters.register(app)


def register_observability(app: Flask) -> None:
    """JSON request logs with a request id, first of the request hooks."""
    from inclusive_access import observability

    observability.init_app(app)


def register_edge(app: Flask) -> None:
    """Bounded ids, clean query strings, capped chunked bodies, trusted proxies: before any route is registered."""
    from inclusive_access import edge

    edge.init_app(app)


def register_extensions(app: Flask) -> None:
    """Bind db (and the read replica), migrations, login and CSRF to this app."""
    from inclusive_access import replica
    from inclusive_access.database import configure_engine_events, configure_engines
    from inclusive_access.extensions import csrf, db, login_manager, migrate

    configure_engines(app.config)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    with app.app_context():
        configure_engine_events(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    replica.init_app(app)


def register_security(app: Flask) -> None:
    """Read-only requests that never wait for a writer, then the deny-by-default route guard, server-side sessions
    and response headers."""
    from inclusive_access import security, write_spool

    write_spool.init_app(app)
    security.init_app(app)

    @app.route("/assets/<path:filename>")
    def nhsuk_assets(filename: str):
        # The compiled NHS.UK CSS hard-codes url(/assets/images/...).
        return send_from_directory(ROOT / "static" / "vendor" / "nhsuk" / "assets", filename)


def register_blueprints(app: Flask) -> None:
    """One blueprint per workflow."""
    from inclusive_access.blueprints import navigation
    from inclusive_access.blueprints.adjustments import bp as adjustments_bp
    from inclusive_access.blueprints.admin import bp as admin_bp
    from inclusive_access.blueprints.appointments import bp as appointments_bp
    from inclusive_access.blueprints.audit import bp as audit_bp
    from inclusive_access.blueprints.auth import bp as auth_bp
    from inclusive_access.blueprints.clarification import bp as clarification_bp
    from inclusive_access.blueprints.contact_tasks import bp as contact_tasks_bp
    from inclusive_access.blueprints.discharge import bp as discharge_bp
    from inclusive_access.blueprints.dna import bp as dna_bp
    from inclusive_access.blueprints.fhir import bp as fhir_bp
    from inclusive_access.blueprints.home import bp as home_bp
    from inclusive_access.blueprints.imports import bp as imports_bp
    from inclusive_access.blueprints.intake import bp as intake_bp
    from inclusive_access.blueprints.notify import bp as notify_bp
    from inclusive_access.blueprints.ops import bp as ops_bp
    from inclusive_access.blueprints.outreach import bp as outreach_bp
    from inclusive_access.blueprints.outreach_reconciliation import bp as outreach_reconciliation_bp
    from inclusive_access.blueprints.outreach_records import bp as outreach_records_bp
    from inclusive_access.blueprints.patient_link import bp as patient_link_bp
    from inclusive_access.blueprints.patients import bp as patients_bp
    from inclusive_access.blueprints.questionnaire_links import bp as questionnaire_links_bp
    from inclusive_access.blueprints.questionnaires import bp as questionnaires_bp
    from inclusive_access.blueprints.referrals import bp as referrals_bp
    from inclusive_access.blueprints.reports import bp as reports_bp
    from inclusive_access.blueprints.safeguarding import bp as safeguarding_bp
    from inclusive_access.blueprints.triage import bp as triage_bp
    from inclusive_access.blueprints.urgent_contacts import bp as urgent_contacts_bp

    for bp in (home_bp, auth_bp, admin_bp, intake_bp, referrals_bp, patients_bp, triage_bp, clarification_bp,
               appointments_bp, dna_bp, adjustments_bp, discharge_bp, safeguarding_bp, urgent_contacts_bp,
               questionnaires_bp, questionnaire_links_bp, patient_link_bp, reports_bp, audit_bp, imports_bp,
               ops_bp, fhir_bp, outreach_records_bp, outreach_bp, outreach_reconciliation_bp, notify_bp,
               contact_tasks_bp):
        app.register_blueprint(bp)
    navigation.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    """NHS.UK-styled error pages; a failed request leaves nothing half-written."""
    from inclusive_access import errors

    errors.init_app(app)


def register_commands(app: Flask) -> None:
    """flask create-user, demo-data, import-referrals, audit ..."""
    from inclusive_access import cli

    cli.init_app(app)

"""gunicorn settings for production (`gunicorn -c gunicorn.conf.py wsgi:app`): bounded requests, slow senders cut."""
import gc
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Each worker has its own database pool, at most DB_POOL_SIZE + DB_MAX_OVERFLOW connections (config.py): PostgreSQL
# must allow workers x that on every host, plus the command-line jobs (docs/operations.md, "Connection pooling").
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "sync"
# A sync worker blocked for this long (on a slow sender, or a stuck request) is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 2
# Our longest URL (the dashboard's selectors) is under 1 KB; browsers send about 15 headers and a small cookie.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
# gunicorn 27 otherwise opens a control socket in $HOME/.gunicorn.
control_socket_disable = True
# The app logs one JSON line per request (inclusive_access/observability.py); gunicorn logs only its own errors.
accesslog = None
errorlog = "-"
# Proxies are trusted in one place, the app's ProxyFix (PROXY_FIX_*); gunicorn trusts a forwarded scheme only when
# FORWARDED_ALLOW_IPS names the proxy (its default trusts 127.0.0.1).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")


def post_worker_init(_worker):
    """The app's own objects (modules, mappings, compiled templates: some 200,000) live as long as the worker; frozen
    out of the collector, a full collection walks what requests made, not them (docs/benchmarks.md)."""
    gc.freeze()

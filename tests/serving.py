"""A real threaded HTTP server around a WSGI app (the app under test, or a fake of another service)."""
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server

#: how often the serving thread looks for a shutdown: socketserver's default of 0.5 s was most of a short test's
#: teardown
POLL_SECONDS = 0.02


@contextmanager
def serve(app) -> Iterator[str]:
    """Serve `app` on a free local port, one thread per request (as gunicorn's workers overlap); yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(POLL_SECONDS,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

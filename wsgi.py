"""The WSGI entry point for `flask run` and gunicorn: `gunicorn -w 4 wsgi:app`."""
from inclusive_access import create_app

app = create_app()

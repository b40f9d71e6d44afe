"""The shared view's suppression (`shared_view.shared_hidden`) for the newest month and the whole history of the
database the app is configured for: median of 5 runs each, with how many counts it hides.

Usage (the app's environment, DATABASE_URL naming a database with demo data):
    .venv/bin/python bench/shared_view.py LABEL
"""
import statistics
import sys
import time

from inclusive_access.extensions import db
from inclusive_access.reporting import queries
from inclusive_access.reporting.queries import Period
from inclusive_access.reporting.shared_view import shared_hidden
from wsgi import app

with app.app_context():
    first, last = queries.months_with_referrals(db.session)
    for label, period in ((f"month {last}", Period(last, last)), (f"{first} to {last}", Period(first, last))):
        times, hidden = [], set()
        for _ in range(5):
            started = time.perf_counter()
            hidden = shared_hidden(db.session, period)
            times.append(time.perf_counter() - started)
        print(f"{sys.argv[1] if len(sys.argv) > 1 else '':<8} {label:<20} {1000 * statistics.median(times):8.0f} ms"
              f"  {len(hidden)} hidden")

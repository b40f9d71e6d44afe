"""GOV.UK Notify's callback at /notify: a machine API authenticated by a bearer token, not the staff session."""
from flask import Blueprint

from inclusive_access.extensions import csrf

bp = Blueprint("notify", __name__, url_prefix="/notify")
csrf.exempt(bp)  # no cookie authenticates here: a forged cross-site request carries no bearer token

from inclusive_access.blueprints.notify import routes  # noqa: E402, F401 - registers the routes on bp

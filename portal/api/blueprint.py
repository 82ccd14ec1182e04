"""The JSON API blueprint (`/api/v1/`). Reads are public; hospital endpoints take a personal API token.

CSRF protection is off here because the API never authenticates with cookies: writes need
`Authorization: Bearer …`, which a cross-site form cannot send.
"""

from flask import Blueprint

from portal.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

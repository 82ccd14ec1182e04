"""API routes: entries and the OpenAPI document (search area); hospital assessments (assessments area)."""

from portal.api import adoption, assessments, entries  # noqa: F401  (register their routes on bp)
from portal.api.blueprint import bp  # noqa: F401

ACCESS = {**entries.ACCESS, **assessments.ACCESS, **adoption.ACCESS}

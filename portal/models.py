"""Imports every model so that metadata (Alembic, create_all) sees the whole schema."""

from portal.accounts.models import ApiToken, LoginThrottle, Role, User, reviewer_catalogue  # noqa: F401
from portal.adoption.models import (  # noqa: F401
    Chase,
    Equipping,
    HospitalRollup,
    MonthRollup,
    UsageReminder,
    UsageReport,
)
from portal.applications.models import Application, Submission  # noqa: F401
from portal.assessments.models import Assessment, AssessmentEvent, Reminder  # noqa: F401
from portal.audit.models import AuditEvent  # noqa: F401
from portal.catalogue.models import Batch, Catalogue, Entry  # noqa: F401
from portal.core.dataversion import DataVersion  # noqa: F401
from portal.core.outbox import IndexChange  # noqa: F401
from portal.directory.models import Company, Hospital  # noqa: F401
from portal.matchmaking.models import Match, MatchSession, Meeting, Need, SessionAttendance, SessionSignup  # noqa: F401
from portal.notifications.models import Notification, OutboxMail  # noqa: F401
from portal.objections.models import Objection  # noqa: F401
from portal.products.models import Attachment, AttachmentChunk, Product  # noqa: F401
from portal.review.models import ExpertReview  # noqa: F401
from portal.search.models import SearchIndexCursor, Synonym  # noqa: F401

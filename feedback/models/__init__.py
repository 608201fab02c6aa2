"""ORM models, one module per aggregate. Importing this package registers them all."""

from feedback.models.alerts import Alert, AlertRule
from feedback.models.audit import AuditEntry
from feedback.models.cases import CommentCase
from feedback.models.devices import Device, EnrollmentCode
from feedback.models.digests import DigestSend, DigestSubscription
from feedback.models.links import SurveyLink
from feedback.models.org import Location, Office
from feedback.models.reporting import CustomerVolume
from feedback.models.responses import Response
from feedback.models.rollups import DroppedSubmission, FollowupDaily, LanguageDaily, ResponseHourly
from feedback.models.scheduling import JobRun
from feedback.models.sso import SsoGroupRole, sso_group_offices
from feedback.models.surveys import Survey, SurveyVersion
from feedback.models.users import ApiToken, SignInThrottle, User, user_locations, user_offices

__all__ = [
    "Alert",
    "AlertRule",
    "ApiToken",
    "AuditEntry",
    "CommentCase",
    "CustomerVolume",
    "Device",
    "DigestSend",
    "DigestSubscription",
    "DroppedSubmission",
    "EnrollmentCode",
    "FollowupDaily",
    "JobRun",
    "LanguageDaily",
    "Location",
    "Office",
    "Response",
    "ResponseHourly",
    "SignInThrottle",
    "SsoGroupRole",
    "Survey",
    "SurveyLink",
    "SurveyVersion",
    "User",
    "sso_group_offices",
    "user_locations",
    "user_offices",
]

"""Every table, imported in one place so that metadata (and alembic) sees them all."""

from domain.action.models import Action, ActionActivity, ActionObservation
from domain.alert.models import Alert, AlertActivity
from domain.alert_rule.models import AlertRule
from domain.auth.models import ApiToken, MapSignIn
from domain.base import Base
from domain.customer.models import Customer, CustomerPersona
from domain.digest.models import TeamDigest
from domain.event.models import Event, EventNameCount, EventReceipt, PendingBatch
from domain.journey.models import Journey
from domain.member.models import Member
from domain.mention.models import Mention
from domain.metrics.models import StageProgress, TouchpointReach
from domain.notification.models import Notification
from domain.observation.models import Observation
from domain.persona.models import Persona
from domain.stage.models import Stage
from domain.subscription.models import Subscription
from domain.team.models import Team
from domain.touchpoint.models import Touchpoint
from domain.workspace.models import Workspace

__all__ = [
    "Action",
    "ActionActivity",
    "ActionObservation",
    "Alert",
    "AlertActivity",
    "AlertRule",
    "ApiToken",
    "Base",
    "Customer",
    "CustomerPersona",
    "Event",
    "EventNameCount",
    "EventReceipt",
    "Journey",
    "MapSignIn",
    "Member",
    "Mention",
    "Notification",
    "Observation",
    "PendingBatch",
    "Persona",
    "Stage",
    "StageProgress",
    "Subscription",
    "Team",
    "TeamDigest",
    "Touchpoint",
    "TouchpointReach",
    "Workspace",
]

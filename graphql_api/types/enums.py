"""The domain's fixed vocabularies as GraphQL enums (values are the members' names)."""

import strawberry

from domain import vocabulary
from domain.alert import models as alert_models
from domain.alert.decision import Step

Channel = strawberry.enum(vocabulary.Channel, description="How a touchpoint reaches a customer.")
ObservationKind = strawberry.enum(vocabulary.ObservationKind, description="What was observed.")
Emotion = strawberry.enum(vocabulary.Emotion, description="What a customer feels.")
ObservationSource = strawberry.enum(
    vocabulary.ObservationSource, description="Where an observation was logged."
)
ActionStatus = strawberry.enum(
    vocabulary.ActionStatus,
    description="open → in progress → done, or dropped from open or in progress; done and "
    "dropped are final.",
)
TokenScope = strawberry.enum(
    vocabulary.TokenScope, description="What an API token may do: read, or also write."
)
AlertStatus = strawberry.enum(
    alert_models.AlertStatus, description="open → acknowledged → resolved"
)
AlertResolution = strawberry.enum(
    alert_models.Resolution,
    name="AlertResolution",
    description="How an alert was resolved: by someone, or by the stage recovering.",
)
AlertAction = strawberry.enum(
    alert_models.AlertAction, description="What an alert's activity log records."
)
AlertStep = strawberry.enum(
    Step, name="AlertStep", description="What one evaluation of a rule decides for a stage."
)

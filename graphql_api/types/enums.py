"""The domain's fixed vocabularies as GraphQL enums (values are the members' names)."""

import strawberry

from domain import vocabulary

Channel = strawberry.enum(vocabulary.Channel, description="How a touchpoint reaches a customer.")
ObservationKind = strawberry.enum(vocabulary.ObservationKind, description="What was observed.")
Emotion = strawberry.enum(vocabulary.Emotion, description="What a customer feels.")
ObservationSource = strawberry.enum(
    vocabulary.ObservationSource, description="Where an observation was logged."
)
ActionStatus = strawberry.enum(vocabulary.ActionStatus, description="open → in progress → done")
TokenScope = strawberry.enum(
    vocabulary.TokenScope, description="What an API token may do: read, or also write."
)

"""The fixed vocabularies users pick from: channels, observation kinds, emotions…"""

from enum import StrEnum


class Channel(StrEnum):
    AD = "ad"
    SEARCH = "search"
    WEB = "web"
    EMAIL = "email"
    STORE = "store"
    PHONE = "phone"
    CHAT = "chat"
    APP = "app"
    SOCIAL = "social"
    REVIEW = "review"
    REFERRAL = "referral"
    OTHER = "other"


class ObservationKind(StrEnum):
    PAIN_POINT = "pain_point"
    INSIGHT = "insight"
    OPPORTUNITY = "opportunity"
    PRAISE = "praise"
    QUESTION = "question"


class Emotion(StrEnum):
    CURIOSITY = "curiosity"
    UNCERTAINTY = "uncertainty"
    HOPE = "hope"
    SKEPTICISM = "skepticism"
    CONFIDENCE = "confidence"
    ANXIETY = "anxiety"
    FRUSTRATION = "frustration"
    DELIGHT = "delight"
    LOYALTY = "loyalty"
    CONFUSION = "confusion"
    TRUST = "trust"
    INDIFFERENCE = "indifference"


class ObservationSource(StrEnum):
    SLACK = "slack"
    GRAPHQL = "graphql"
    IMPORT = "import"


class ActionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


class TokenScope(StrEnum):
    """What an API token may do; each scope includes the ones before it."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    def allows(self, needed: "TokenScope") -> bool:
        order = list(TokenScope)
        return order.index(self) >= order.index(needed)

"""Journeys to start from: their stages, each with the customer's goal and expected emotion.

Defined once here: the browser offers them when someone starts a journey, and the demo
workspace builds its journeys on them (adding touchpoints, teams and events of its own)."""

from dataclasses import dataclass

from domain.journey.service import StageSpec


@dataclass(frozen=True)
class JourneyTemplate:
    name: str
    description: str
    stages: tuple[StageSpec, ...]


ONLINE_PURCHASE = JourneyTemplate(
    name="Online purchase",
    description="A shopper from first hearing of the shop to recommending it.",
    stages=(
        StageSpec("Awareness", "Discover that the shop has what I need", "curiosity"),
        StageSpec("Consideration", "Decide whether this product is right for me", "hope"),
        StageSpec("Decision", "Buy without surprises", "confidence"),
        StageSpec("Retention", "Get what I ordered and feel looked after", "loyalty"),
        StageSpec("Advocacy", "Share a good experience", "delight"),
    ),
)

B2B_TRIAL = JourneyTemplate(
    name="B2B trial",
    description="A business customer from hearing of the product to paying for it.",
    stages=(
        StageSpec("Awareness", "Hear of a tool that saves me time", "curiosity"),
        StageSpec("Trial", "See value within the first week", "hope"),
        StageSpec("Subscription", "Pay without friction", "confidence"),
    ),
)

TEMPLATES = (ONLINE_PURCHASE, B2B_TRIAL)

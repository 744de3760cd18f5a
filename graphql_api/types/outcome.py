from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry

from domain.alert.before_after import Verdict
from domain.alert.proof import ProofStep

OutcomeVerdict = strawberry.enum(
    Verdict,
    name="OutcomeVerdict",
    description="Conversion after a moment against before it: better, no change or worse "
    "beyond chance, or too few customers to tell (NOT_YET is never stored).",
)
AlertProofStep = strawberry.enum(
    ProofStep,
    name="AlertProofStep",
    description="What the cohorts since a resolution by hand meant for the alert (WAIT is "
    "never stored).",
)


@strawberry.type
class BeforeAfterFigures:
    """Conversion within the alert window on the cohorts after a moment against before it,
    with a two-sided pooled two-proportion z-test (docs/alerts.md, "Before and after a moment")."""

    verdict: OutcomeVerdict
    before_entered: int = strawberry.field(description="Customers judged before.")
    before_converted: int
    after_entered: int = strawberry.field(description="Customers judged after.")
    after_converted: int
    after_first_day: date | None = strawberry.field(
        description="First cohort day judged as after, in the journey's zone."
    )
    after_last_day: date | None
    change_points: float = strawberry.field(
        description="After minus before conversion, in percentage points; negative is worse."
    )
    p_value: float | None = strawberry.field(description="Two-sided; none without a test.")
    sentence: str = strawberry.field(description="The verdict with its figures, in words.")

    @strawberry.field(description="before_converted / before_entered, from 0 to 1.")
    def before_rate(self) -> float:
        return self.before_converted / self.before_entered if self.before_entered else 0.0

    @strawberry.field(description="after_converted / after_entered, from 0 to 1.")
    def after_rate(self) -> float:
        return self.after_converted / self.after_entered if self.after_entered else 0.0


def _figures(stored: dict[str, Any]) -> dict[str, Any]:
    return {
        "verdict": Verdict(stored["verdict"]),
        "before_entered": stored["before_entered"],
        "before_converted": stored["before_converted"],
        "after_entered": stored["after_entered"],
        "after_converted": stored["after_converted"],
        "after_first_day": _day(stored.get("after_first")),
        "after_last_day": _day(stored.get("after_last")),
        "change_points": stored["change_points"],
        "p_value": stored.get("p_value"),
        "sentence": stored["sentence"],
    }


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


@strawberry.type(
    description="The measured effect of a done action: its stage's conversion on the cohorts "
    "that entered after it was done against those before (docs/alerts.md, “The outcome of a "
    "done action”)."
)
class ActionOutcome(BeforeAfterFigures):
    measured_at: datetime

    @classmethod
    def of(
        cls, stored: dict[str, Any] | None, measured_at: datetime | None
    ) -> ActionOutcome | None:
        if stored is None or measured_at is None:
            return None
        return cls(measured_at=measured_at, **_figures(stored))


@strawberry.type(
    description="After a person resolved an alert: the cohorts that entered since against the "
    "baseline it fired on, and what that meant (docs/alerts.md, “Resolve with proof”)."
)
class AlertProof(BeforeAfterFigures):
    step: AlertProofStep
    checked_at: datetime

    @classmethod
    def of(cls, stored: dict[str, Any] | None) -> AlertProof | None:
        if stored is None:
            return None
        return cls(
            step=ProofStep(stored["step"]),
            checked_at=datetime.fromisoformat(stored["checked_at"]),
            **_figures(stored),
        )

"""`journeyops alerts`: tune rules before they page anyone.

`evaluate` runs every enabled rule as of a time, as the worker would, and the worker's
follow-ups (the outcome of done actions, the proof of alerts resolved by hand); with
`--dry-run` nothing is written, so nothing is posted. `backtest` replays one rule daily over
past cohorts. Both print one JSON object a line, so the output pipes into `jq` or a
spreadsheet.
"""

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

import typer

from domain.alert.before_after import BeforeAfter, Verdict
from domain.alert.decision import Decision, Step
from domain.alert.proof import ProofStep
from domain.alert.statistics import Days, Proportion
from domain.alert_rule import service as alert_rule_service
from domain.errors import DomainError, NotFound
from infrastructure.runtime import Runtime
from infrastructure.settings import get_settings
from journeyops.outcomes import Seen, follow_up

alerts_app = typer.Typer(
    help="Try alert rules: evaluate now or as of a time, backtest.", no_args_is_help=True
)

T = TypeVar("T")


def _fail(message: str) -> typer.Exit:
    typer.secho(message, fg="red", err=True)
    return typer.Exit(2)


def _parse_time(value: str | None) -> datetime:
    """TIME as ISO 8601; without an offset it means UTC. Now when not given."""
    now = datetime.now(UTC)
    if value is None:
        return now
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(
            f"--at “{value[:60]}” is not a time; give ISO 8601, e.g. 2026-03-11T06:00:00+00:00."
        ) from None
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    if at > now:
        raise _fail(f"--at {at.isoformat()} is in the future; only past data can be judged.")
    return at


def _parse_day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{option} “{value[:60]}” is not a date; give YYYY-MM-DD.") from None


def _rule_id(value: str) -> uuid.UUID:
    """A rule's uuid, or its GraphQL id (what `alertRules` returns)."""
    from graphql_api import ids

    try:
        return uuid.UUID(value)
    except ValueError:
        parsed = ids.parse(value)
        if parsed is None or parsed[0] != "AlertRule":
            raise _fail(
                f"--rule “{value[:60]}” is not an alert rule id; give the id that "
                "`alerts evaluate` or GraphQL `alertRules` shows."
            ) from None
        return parsed[1]


def _run(work: Callable[[Runtime], Awaitable[T]]) -> T:
    """Run `work` against the configured database; domain errors end the command clearly."""

    async def main() -> T:
        runtime = Runtime.create(get_settings())
        try:
            return await work(runtime)
        finally:
            await runtime.close()

    try:
        return asyncio.run(main())
    except DomainError as error:
        raise _fail(error.message) from None


def _figures(days: Days, proportion: Proportion) -> dict[str, Any]:
    return {
        "first_day": days.first.isoformat(),
        "last_day": days.last.isoformat(),
        "entered": proportion.entered,
        "converted": proportion.converted,
        "conversion": round(proportion.rate, 4),
    }


def decision_line(
    *, at: datetime, rule_id: uuid.UUID, journey: str, stage: str, decision: Decision
) -> dict[str, Any]:
    """One JSON line: what the rule decided at a stage and the figures it decided on."""
    evaluation = decision.evaluation
    comparison, windows, driver = evaluation.comparison, evaluation.windows, evaluation.driver
    return {
        "at": at.isoformat(),
        "step": decision.step.value,
        "rule_id": str(rule_id),
        "journey": journey,
        "stage": stage,
        "converted_within_hours": int(evaluation.horizon.total_seconds() // 3600),
        "recent": _figures(windows.recent, comparison.recent),
        "baseline": _figures(windows.baseline, comparison.baseline),
        "expected_conversion": None
        if comparison.expected_rate is None
        else round(comparison.expected_rate, 4),
        "change_points": round(comparison.change_points, 2),
        "p_value": comparison.p_value,
        "driver": None
        if driver is None
        else {
            "dimension": driver.segment.dimension,
            "label": driver.segment.label,
            "points": round(driver.points, 2),
            "share": round(driver.share, 3),
        },
        "reason": decision.reason,
    }


# A follow-up still waiting for cohorts to mature, shown (like a rule that holds) with --all.
WAITING = {Verdict.NOT_YET.value, ProofStep.WAIT.value}


def _before_after(result: BeforeAfter) -> dict[str, Any]:
    days = result.after_days
    return {
        "before": {
            "entered": result.before.entered,
            "converted": result.before.converted,
            "conversion": round(result.before.rate, 4),
        },
        "after": {
            "first_day": days.first.isoformat() if days else None,
            "last_day": days.last.isoformat() if days else None,
            "entered": result.after.entered,
            "converted": result.after.converted,
            "conversion": round(result.after.rate, 4),
        },
        "change_points": round(result.change_points, 2),
        "p_value": result.p_value,
        "reason": result.sentence,
    }


def follow_up_line(*, at: datetime, seen: Seen) -> dict[str, Any]:
    """One JSON line: what the follow-ups job decides for a done action (its outcome:
    better, no_change, worse, too_few, or not_yet) or an alert resolved by hand (its proof:
    back, reopen, still_down, unknown, or wait)."""
    item = "action_id" if seen.kind == "action_outcome" else "alert_id"
    return {
        "at": at.isoformat(),
        "follow_up": seen.kind,
        item: str(seen.item_id),
        "step": seen.step,
    } | _before_after(seen.result)


@alerts_app.command()
def evaluate(
    at: Annotated[
        str | None, typer.Option("--at", help="ISO 8601 time (UTC without an offset; default now)")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Write and post nothing; only print")
    ] = False,
    show_all: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Also print stages that hold and follow-ups still waiting, with the reason",
        ),
    ] = False,
) -> None:
    """Evaluate every enabled rule as of a time; print what fires or resolves, and what the
    follow-ups of done actions and hand-resolved alerts decide, as JSON lines."""
    from journeyops.alerting import evaluate_all

    when = _parse_time(at)

    async def work(runtime: Runtime) -> tuple[list[dict[str, Any]], int]:
        evaluation = await evaluate_all(
            runtime, cohorts=runtime.cohorts, at=when, apply=not dry_run
        )
        outcomes = evaluation.outcomes
        async with runtime.transaction() as session:
            journeys = await alert_rule_service.journey_names(
                session, rule_ids={o.rule_id for o in outcomes}
            )
        lines = [
            decision_line(
                at=when,
                rule_id=o.rule_id,
                journey=journeys.get(o.rule_id, ""),
                stage=o.stage_name,
                decision=o.decision,
            )
            | ({"alert_id": str(o.alert.id)} if o.alert is not None else {})
            for o in outcomes
            if show_all or o.decision.step is not Step.HOLD
        ]
        followed = await follow_up(runtime, cohorts=runtime.cohorts, at=when, apply=not dry_run)
        lines += [
            follow_up_line(at=when, seen=seen)
            for seen in followed.seen
            if show_all or seen.step not in WAITING
        ]
        return lines, len(evaluation.failed_rules) + followed.failed

    lines, failed = _run(work)
    for line in lines:
        typer.echo(json.dumps(line, ensure_ascii=False))
    if failed:
        typer.secho(
            f"{failed} alert rule(s) or follow-up(s) could not be evaluated; nothing of theirs "
            "was written (the log above says why).",
            fg="red",
            err=True,
        )
        raise typer.Exit(1)


@alerts_app.command()
def backtest(
    rule: Annotated[str, typer.Option("--rule", help="The rule's id")],
    first: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD")],
    last: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD")],
) -> None:
    """Replay a rule daily over past cohorts; print each time it would have fired or resolved."""
    from domain.alert.evaluation import backtest as replay

    rule_id = _rule_id(rule)
    first_day, last_day = _parse_day(first, "--from"), _parse_day(last, "--to")

    async def work(runtime: Runtime) -> list[dict[str, Any]]:
        async with runtime.transaction() as session:
            found = await alert_rule_service.find_in_any_workspace(session, rule_id=rule_id)
            if found is None:
                raise NotFound(f"No alert rule {rule_id}; list them with GraphQL `alertRules`.")
            events = await replay(
                session,
                rule=found,
                first_day=first_day,
                last_day=last_day,
                cohorts=runtime.cohorts,
            )
            journey = (await alert_rule_service.journey_names(session, rule_ids={found.id}))[
                found.id
            ]
        return [
            decision_line(
                at=e.at, rule_id=found.id, journey=journey, stage=e.stage_name, decision=e.decision
            )
            for e in events
        ]

    for line in _run(work):
        typer.echo(json.dumps(line, ensure_ascii=False))

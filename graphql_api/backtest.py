"""`backtestAlertRule`: a query, since it writes nothing (read tokens may tune rules too), that
answers like a mutation, with `errors`, because its failures are expected ones: a bad range
or an unknown rule. It replays the rule over `runtime.cohorts`, the daily cohorts of stored
customer events.
"""

from datetime import date

import strawberry

from domain.alert.evaluation import backtest
from domain.alert_rule import service as rule_service
from graphql_api import ids
from graphql_api.context import Info
from graphql_api.mutations.base import in_transaction
from graphql_api.types.alert_rule import AlertRule
from graphql_api.types.backtest import AlertBacktestEvent, AlertRuleBacktest


async def backtest_rule(
    info: Info, rule_id: strawberry.ID, *, first_day: date, last_day: date
) -> AlertRuleBacktest:
    cohorts = info.context.runtime.cohorts

    async def replay(session, workspace_id):
        rule = await rule_service.get(
            session,
            workspace_id=workspace_id,
            rule_id=ids.decode(rule_id, "AlertRule", field="ruleId"),
        )
        events = await backtest(
            session, rule=rule, first_day=first_day, last_day=last_day, cohorts=cohorts
        )
        return rule, events

    result, errors = await in_transaction(info, replay)
    if result is None:
        return AlertRuleBacktest(rule=None, events=[], errors=errors)
    rule, events = result
    return AlertRuleBacktest(
        rule=AlertRule.from_row(rule),
        events=[AlertBacktestEvent.of(event) for event in events],
        errors=[],
    )

"""schema.graphql is what frontends generate clients from; it must match the code."""

import pytest
from typer.testing import CliRunner

from graphql_api.schema import SCHEMA_FILE, sdl
from journeyops.cli import app

pytestmark = pytest.mark.pure


def test_schema_graphql_is_up_to_date():
    assert SCHEMA_FILE.read_text() == sdl(), (
        "schema.graphql is stale; run `uv run journeyops schema -o schema.graphql`"
    )


def test_the_schema_command_prints_and_writes_the_schema(tmp_path):
    runner = CliRunner()
    printed = runner.invoke(app, ["schema"])
    assert printed.exit_code == 0
    assert printed.output == sdl()

    written = runner.invoke(app, ["schema", "--output", str(tmp_path / "schema.graphql")])
    assert written.exit_code == 0
    assert (tmp_path / "schema.graphql").read_text() == sdl()


def test_the_schema_keeps_the_product_names():
    schema = sdl()
    for name in (
        "journeys:",
        "journey(id: ID!)",
        "personas:",
        "teams:",
        "observations(",
        "node(id: ID!)",
        "createTeam(",
        "createPersona(",
        "createJourney(",
        "addStage(",
        "reorderStages(",
        "addTouchpoint(",
        "updateTouchpoint(",
        "logObservation(",
        "createAction(",
        "updateAction(",
        "observationLogged(journeyId: ID!)",
        "observationCount: Int!",
        "eventNames: [String!]!",
        "ownerTeam: Team",
    ):
        assert name in schema, name

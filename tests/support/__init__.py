"""What several test modules share: data factories, the test database, Slack requests and
payloads, GraphQL servers and inputs, the metrics reference, the deployed product's processes.
Test modules import from here (and take conftest fixtures), never from one another."""

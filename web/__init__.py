"""The built-in journey map page: a small GraphQL client served at /journeys/{id}."""

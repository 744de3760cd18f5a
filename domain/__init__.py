"""The JourneyOps domain: the journey model and its use cases.

Nothing here knows about Slack or GraphQL; `bot/` and `graphql_api/` are thin doors onto it.
"""

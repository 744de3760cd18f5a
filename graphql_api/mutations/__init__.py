"""Mutations, one module per concept: parse the input → one use case → a payload."""

"""GraphQL object types, one module per concept. They are built from domain rows with
`from_row` and load related objects through the per-request DataLoaders."""

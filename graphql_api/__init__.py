"""The GraphQL door: `/graphql` on Starlette (strawberry), thin resolvers over domain use cases.

app.py (the view and its auth) · schema.py (assembly and protective extensions) · types/ (one
module per concept) · queries.py · mutations/ (one module per concept) · subscriptions.py ·
loaders.py (per-request DataLoaders) · ids.py (global ids) · errors.py (how failures reach
clients) · auth.py (tokens and permissions) · context.py (what resolvers get) · backtest.py
(backtestAlertRule over the runtime's cohort source).
"""

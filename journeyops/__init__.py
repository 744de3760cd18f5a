"""The composition root: settings, database, the web app, the worker and the CLI."""

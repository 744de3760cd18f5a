"""Reading what a test made the app log."""

import logging


def errors_logged(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    """The ERROR records among `records`, less asyncio's "Future exception was never
    retrieved": the garbage collector writes those for a connection an earlier test lost (an
    outage relay cut, a killed process), in whichever test happens to run then."""
    return [
        record
        for record in records
        if record.levelno >= logging.ERROR
        and not (
            record.name == "asyncio"
            and record.getMessage().startswith("Future exception was never retrieved")
        )
    ]

"""How every JourneyOps process logs: one line per record on stderr, through the root logger
(uvicorn's own loggers included), set up by each process itself, server children too."""

import logging
import warnings


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("pgserver").setLevel(logging.WARNING)  # it logs every initdb line
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

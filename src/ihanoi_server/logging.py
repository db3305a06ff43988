"""structlog configured for JSON lines on stderr, with the request id on every line.

What is logged is chosen, never dumped: method, route, status, duration,
request id, error class names. Never bodies, tokens, subject ids or a
denouncer's identity.

Records of the standard ``logging`` module (uvicorn's start and stop lines, the
libraries') are rendered as the same JSON lines, so that a log shipper reading
the stderr of ``ihanoi serve`` or ``ihanoi projections run`` sees one format.
"""

from __future__ import annotations

import logging
import sys

import structlog
from structlog.typing import Processor

# Added to every line, ours and the standard library's.
SHARED_PROCESSORS: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr at ``level`` (``IHANOI_LOG_LEVEL``) for structlog and
    the standard library. Like ``logging.basicConfig``, it leaves a root logger
    that already has handlers (a test runner's) as it is."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *SHARED_PROCESSORS],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    logging.basicConfig(handlers=[handler], level=level.upper())
    structlog.configure(
        processors=[*SHARED_PROCESSORS, structlog.processors.format_exc_info, structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        # One write a line (print writes text and newline apart when PYTHONUNBUFFERED is set),
        # so neither the standard library's handler (another lock) nor another process
        # writing to the same stderr can cut into it.
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )

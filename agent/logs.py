"""The loggers of jsolve: structlog bound loggers over the standard `logging` tree.

Nothing is configured here. A library caller sees warnings only (the standard library's default)
until it configures logging; the CLI configures it (`-v`, `--log-format`). Events are
key-value pairs: `log.info("attempt.ran", run_id=..., attempt=2, kind="runtime")`.
"""

from __future__ import annotations

import logging

import structlog

__all__ = ["get_logger"]


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger that writes to the standard logger `name`."""
    return structlog.wrap_logger(
        logging.getLogger(name),
        processors=[structlog.stdlib.filter_by_level, structlog.stdlib.render_to_log_kwargs],
        wrapper_class=structlog.stdlib.BoundLogger,
    )

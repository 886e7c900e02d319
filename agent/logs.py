"""The loggers of jsolve: structlog bound loggers over the standard `logging` tree.

Nothing is configured here. A library caller sees warnings only (the standard library's default)
until it configures logging; the CLI configures it (`-v`, `--log-format`). Events are
key-value pairs: `log.info("attempt.ran", run_id=..., attempt=2, kind="runtime")`.
"""

from __future__ import annotations

import logging

import structlog

__all__ = ["configure", "get_logger"]


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger that writes to the standard logger `name`."""
    logger: structlog.stdlib.BoundLogger = structlog.wrap_logger(
        logging.getLogger(name),
        processors=[structlog.stdlib.filter_by_level, structlog.stdlib.render_to_log_kwargs],
        wrapper_class=structlog.stdlib.BoundLogger,
    )
    return logger


def configure(*, verbosity: int, json_lines: bool) -> None:
    """Show jsolve's events on stderr: warnings at verbosity 0, stages at 1, everything at 2;
    as aligned console lines or as JSON lines. Called by the CLI, never on import."""
    renderer = structlog.processors.JSONRenderer() if json_lines else structlog.dev.ConsoleRenderer(colors=False)
    handler = logging.StreamHandler()
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        processor=renderer,
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), structlog.stdlib.add_log_level, structlog.processors.TimeStamper(fmt="iso")],
    ))
    logger = logging.getLogger("jsolve")
    logger.handlers[:] = [handler]
    logger.setLevel({0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG))
    logger.propagate = False

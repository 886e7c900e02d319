"""A solve's outcome as plain JSON data: what `jsolve solve --json` prints and the MCP `solve` tool
returns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.core.agreement import Candidate
    from agent.core.loop import Attempt, Solution

__all__ = ["report"]


def report(solution: Solution | None, attempts: list[Attempt], usage: Any, total_ms: float,
           candidates: Sequence[Candidate] = ()) -> dict[str, Any]:
    """A solve as plain JSON data; the shape is stable (fields are added, never renamed).
    `candidates` are a failed solve's passing values, when it has any."""
    from pydantic_core import to_jsonable_python

    return {
        "ok": solution is not None,
        "value": to_jsonable_python(solution.value) if solution is not None else None,
        "code": solution.code if solution is not None else (attempts[-1].code if attempts else None),
        "model": solution.model_name if solution is not None else None,
        "agreement": round(solution.agreement, 4) if solution is not None else None,
        "agreed": solution.agreed if solution is not None else False,
        "candidates": [{"value": to_jsonable_python(c.value), "count": c.count, "code": c.code}
                       for c in (solution.candidates if solution is not None else candidates)],
        "attempts": [
            {
                "number": a.number,
                "candidate": a.candidate,
                "code": a.code,
                "failure": None if a.failure is None else {"kind": a.failure.kind, "message": a.failure.message, "line": a.failure.line, "column": a.failure.column},
                "feedback": a.feedback,
                "logs": list(a.logs),
                "model_ms": round(a.model_ms, 2),
                "validate_ms": round(a.validate_ms, 3),
                "run_ms": round(a.run_ms, 3),
                "input_tokens": a.usage.input_tokens,
                "output_tokens": a.usage.output_tokens,
            }
            for a in attempts
        ],
        "usage": {"requests": usage.requests, "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens} if usage is not None else None,
        "timings": {
            "total_ms": round(total_ms, 2),
            "model_ms": round(sum(a.model_ms for a in attempts), 2),
            "validate_ms": round(sum(a.validate_ms for a in attempts), 3),
            "run_ms": round(sum(a.run_ms for a in attempts), 3),
        },
    }

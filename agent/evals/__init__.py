"""Batch evals: run many instructions through `solve` and report how often it succeeds, and how
much the repair loop adds over a single attempt.

    from agent.evals import load_suite, run_cases
    report = await run_cases(load_suite("evals/suite.yaml"), model="openai-chat:qwen2.5-coder")
"""

from typing import TYPE_CHECKING

from agent.exports import lazy

_EXPORTS = {
    **dict.fromkeys(["DATASETS", "load_dataset"], "agent.evals.datasets"),
    **dict.fromkeys(["CaseResult", "Report", "compare_reports"], "agent.evals.report"),
    "run_cases": "agent.evals.runner",
    **dict.fromkeys(["Case", "judge", "load_suite", "select_cases"], "agent.evals.suite"),
}
__all__ = [
    "DATASETS",
    "Case",
    "CaseResult",
    "Report",
    "compare_reports",
    "judge",
    "load_dataset",
    "load_suite",
    "run_cases",
    "select_cases",
]


__getattr__ = lazy(__name__, _EXPORTS)


if TYPE_CHECKING:
    from agent.evals.datasets import DATASETS, load_dataset
    from agent.evals.report import CaseResult, Report, compare_reports
    from agent.evals.runner import run_cases
    from agent.evals.suite import Case, judge, load_suite, select_cases

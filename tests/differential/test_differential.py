"""Every corpus of tests/differential/corpora/ run in node and in the sandbox: node's value or a
loud failure, never a silent different value (see tests/differential/harness.py)."""

from __future__ import annotations

import pytest

from agent.sandbox import Sandbox
from tests.differential.harness import (
    CORPORA,
    compare,
    corpus_inputs,
    counts,
    describe,
    load_corpus,
    node_available,
)

pytestmark = pytest.mark.skipif(not node_available(), reason="node is not on PATH: it is the oracle of the differential tests")

CORPUS_NAMES = sorted(path.name for path in CORPORA.iterdir() if path.is_dir())

NOT_YET_WIRED: dict[str, str] = {}
"""Corpora that still show silent differences, with the work that removes them. The mark is
strict: when a corpus stops failing, the test fails until its entry here is removed."""


def _param(name: str) -> object:
    reason = NOT_YET_WIRED.get(name)
    return pytest.param(name, marks=pytest.mark.xfail(reason=reason, strict=True)) if reason else name


@pytest.mark.timeout(300)
@pytest.mark.parametrize("corpus", [_param(name) for name in CORPUS_NAMES])
def test_no_silent_difference(corpus: str, sandbox: Sandbox) -> None:
    comparisons = compare(load_corpus(corpus), sandbox, corpus_inputs(corpus))
    tally = counts(comparisons)
    print(f"\n{corpus}: {len(comparisons)} programs, same {tally['same']}, loud {tally['loud']}, silent {tally['silent']}")
    for comparison in comparisons:
        if comparison.verdict != "same":
            print(describe(comparison))
    assert tally["silent"] == 0, f"{tally['silent']} programs gave a value that is not node's"

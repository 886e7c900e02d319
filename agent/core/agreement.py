"""Agreement across independent programs: which value several programs gave, and how strongly.

A value that passed every check may still be wrong; a value that independent programs agree on
is much more likely right than any one of them. The candidates of a solve that passed are grouped
by value with JSON equality (a boolean never equals a number, 2.0 equals 2, object keys in any
order), floats within `REL_TOLERANCE` of each other; the groups are ranked by how many programs
gave them, ties by the earliest program (the greedy one comes first). Pure functions: the solve
loop decides with them, the eval report and the CLI read their results.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["REL_TOLERANCE", "Candidate", "Vote", "agreement", "canonical", "close", "group", "has_majority", "json_number", "meets"]

REL_TOLERANCE = 1e-9
"""Floats this close (relatively) are one value: programs that sum in another order differ in
the last bits (0.1 + 0.2 against 0.3), never by a part in a billion."""

ABS_TOLERANCE = 1e-12
"""Floats this close to each other near zero are one value (a relative tolerance alone never
lets 1e-17 equal 0)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """One distinct value that passing programs gave."""

    value: Any
    """The value, as the first program that gave it exported it (checked and converted)."""
    count: int
    """How many programs gave it."""
    code: str
    """The module of the first program that gave it."""
    attempts: tuple[tuple[int, int], ...]
    """(round, candidate) of every program that gave it, in order."""


def json_number(value: Any) -> Any:
    """`value` with integral floats as ints: JSON has one number type, so 2.0 answers 2."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [json_number(x) for x in value]
    if isinstance(value, dict):
        return {k: json_number(x) for k, x in value.items()}
    return value


def canonical(value: Any) -> str:
    """One spelling per JSON value (keys sorted), so equal means equal as JSON: true is not 1."""
    return json.dumps(json_number(value), sort_keys=True, ensure_ascii=False)


def close(a: Any, b: Any, rel_tolerance: float = REL_TOLERANCE, abs_tolerance: float = ABS_TOLERANCE, *,
          exact_integers: bool = True) -> bool:
    """JSON equality, with numbers equal when within the tolerances; a boolean equals only a
    boolean. Two integers are compared exactly unless `exact_integers` is False: BigInt answers
    that differ in their last digit are different answers, however close."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if exact_integers and isinstance(a, int) and isinstance(b, int):
            return a == b
        return math.isclose(a, b, rel_tol=rel_tolerance, abs_tol=abs_tolerance)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y, rel_tolerance, abs_tolerance, exact_integers=exact_integers) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], rel_tolerance, abs_tolerance, exact_integers=exact_integers) for k in a)
    return type(a) is type(b) and a == b


@dataclass(frozen=True, slots=True)
class Vote:
    """One passing program: its plain JSON value (as the sandbox gave it), the checked value, its
    code, and where it came from."""

    plain: Any
    value: Any
    code: str
    round: int
    candidate: int


def group(votes: Sequence[Vote]) -> list[Candidate]:
    """The distinct values among `votes`, most programs first (ties: the earliest program first).

    Exact JSON equality is tried first (one dictionary lookup); only values with a float in them
    are compared pairwise within the tolerance, against each group's first value."""
    groups: list[list[Vote]] = []
    exact: dict[str, list[Vote]] = {}
    for vote in votes:
        key = canonical(vote.plain)
        members = exact.get(key)
        if members is None:
            members = next((g for g in groups if close(g[0].plain, vote.plain)), None)
        if members is None:
            members = []
            groups.append(members)
        exact.setdefault(key, members)
        members.append(vote)
    ranked = sorted(groups, key=lambda g: (-len(g), (g[0].round, g[0].candidate)))
    return [Candidate(value=g[0].value, count=len(g), code=g[0].code, attempts=tuple((v.round, v.candidate) for v in g))
            for g in ranked]


def agreement(candidates: Sequence[Candidate]) -> float:
    """The share of the passing programs that gave the leading value (0.0 when none passed)."""
    passing = sum(c.count for c in candidates)
    return candidates[0].count / passing if passing else 0.0


def meets(candidates: Sequence[Candidate], min_agreement: float) -> bool:
    """Whether the leading value reaches `min_agreement`: at least two programs gave it (one
    program agrees with nothing) and its share of the passing programs is at least that."""
    return bool(candidates) and candidates[0].count >= 2 and agreement(candidates) >= min_agreement


def has_majority(candidates: Sequence[Candidate], *, min_agreement: float = 0.0) -> bool:
    """Whether the leading value is agreed: more than half of the passing programs gave it, at
    least two of them, and its share reaches `min_agreement`."""
    return meets(candidates, min_agreement) and agreement(candidates) > 0.5

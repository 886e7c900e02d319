"""`json_text` writes ints of any length without touching the process-wide digit limit, which
other threads rely on while it writes."""

from __future__ import annotations

import json
import sys
import threading

import pytest

from agent.sandbox.result import json_text

DIGITS = "9" * 5000 + "1" * 5000
"""A 10,000-digit BigInt's digits: past Python's default limit of 4,300."""


def big() -> int:
    value = 0
    for start in range(0, len(DIGITS), 1000):  # each piece under the limit
        value = value * 10**1000 + int(DIGITS[start:start + 1000])
    return value


def test_a_10000_digit_int_from_two_threads_while_the_limit_stays():
    number = big()
    expected = '{"n": [' + DIGITS + ", -" + DIGITS + '], "s": "é"}'
    limit = sys.get_int_max_str_digits()
    barrier = threading.Barrier(3)
    texts: list[str] = []
    refused: list[bool] = []

    def write() -> None:
        barrier.wait()
        for _ in range(20):
            texts.append(json_text({"n": [number, -number], "s": "é"}))

    def convert() -> None:  # a third thread relies on the limit all along
        barrier.wait()
        for _ in range(200):
            try:
                str(number)
            except ValueError:
                refused.append(True)
            else:
                refused.append(False)

    threads = [threading.Thread(target=write), threading.Thread(target=write), threading.Thread(target=convert)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert texts == [expected] * 40
    assert all(refused) and len(refused) == 200
    assert sys.get_int_max_str_digits() == limit


@pytest.mark.parametrize("value", [0, -1, 2**53, 10**571, -(10**800) + 7, 10**4299, [10**4300], [1, True, None, "x", 1.5, {"a": []}]],
                         ids=["0", "-1", "2**53", "10**571", "-10**800+7", "10**4299", "[10**4300]", "plain"])
def test_the_text_is_what_json_dumps_writes(value):
    limit = sys.get_int_max_str_digits()
    try:
        sys.set_int_max_str_digits(0)  # only to compute the expected text, in this test's own thread
        expected = json.dumps(value, ensure_ascii=False, indent=2)
    finally:
        sys.set_int_max_str_digits(limit)
    assert json_text(value, indent=2) == expected

"""The text helpers of `agent.text`: one way to cut text, to take its first line, to clean lone
surrogates, and the bound of the integers a JavaScript Number holds exactly."""

from __future__ import annotations

import json

from agent.text import (
    CUT_AT,
    LONE_SURROGATE,
    MAX_SAFE_INTEGER,
    clean_text,
    clip,
    first_line,
    fit,
    well_formed,
)


def test_clip_keeps_text_up_to_its_size_and_marks_what_it_cut():
    assert clip("abcde", 5) == "abcde", "at the edge nothing is cut"
    assert clip("abcdef", 5) == "abcde..."
    assert clip("", 0) == ""
    assert clip("abcdef", 5, marker=" ...") == "abcde ..."


def test_fit_cuts_text_to_a_width_ending_in_an_ellipsis():
    assert fit("abcde", 5) == "abcde", "at the edge nothing is cut"
    assert fit("abcdef", 5) == "abcd…"
    assert len(fit("x" * 100, 10)) == 10
    assert fit("abc   def", 5) == "abc …"
    assert fit("abc   def", 5, strip=True) == "abc…"


def test_a_marker_can_name_the_size_and_the_length():
    assert clip("x" * 10, 4, marker=CUT_AT) == "xxxx... [cut at 4 characters]"
    assert clip("x" * 1234, 3, marker="... ({length:,} chars)") == "xxx... (1,234 chars)"
    assert clip("{}" * 3, 6, marker=CUT_AT) == "{}" * 3, "the text itself is never formatted"
    assert clip("{size}{length}", 3, marker="!") == "{si!"


def test_first_line_of_a_text():
    assert first_line("one\ntwo\nthree") == "one"
    assert first_line("\n\n  one  \r\ntwo") == "one  ", "blank lines and the spaces before it go"
    assert first_line("") == ""
    assert first_line(" \n ") == ""


def test_first_line_of_an_exception_or_its_type_name():
    assert first_line(ValueError("bad value\n  at line 3")) == "bad value"
    assert first_line(RuntimeError()) == "RuntimeError"
    assert first_line(KeyError("")) == "''", "as str() writes a KeyError"
    assert first_line(OSError("  \n")) == "OSError"


def test_lone_surrogates_become_the_replacement_character():
    assert clean_text("plain é ✓ 😀") == "plain é ✓ 😀"
    assert clean_text("a\ud800b") == "a\ufffdb"
    assert clean_text("\udc00\ud800") == "\ufffd\ufffd"
    assert clean_text("end\ud83d") == "end\ufffd"
    assert clean_text("\ud83d\ude00") == "😀", "two halves written apart are one character"
    assert LONE_SURROGATE.search("😀") is None and LONE_SURROGATE.search("x\udfff") is not None
    clean_text("a\ud800").encode()  # UTF-8 takes it now


def test_well_formed_cleans_nested_values_and_keys():
    value = {"k\ud800": ["a\udc00", {"deep": ("t\ud800",)}, 1, 2.5, None, True], "ok": "fine"}
    cleaned = well_formed(value)
    assert cleaned == {"k\ufffd": ["a\ufffd", {"deep": ("t\ud800",)}, 1, 2.5, None, True], "ok": "fine"}, \
        "lists and dicts (JSON data) are walked; other values are left as they are"
    json.dumps(well_formed({"k\ud800": ["a\udc00"]}), ensure_ascii=False).encode()
    same = {"a": ["b"]}
    assert well_formed(same) == same


def test_the_largest_safe_integer_is_javascripts():
    assert MAX_SAFE_INTEGER == 9007199254740991 == 2**53 - 1
    assert float(MAX_SAFE_INTEGER) == MAX_SAFE_INTEGER and float(MAX_SAFE_INTEGER + 2) != MAX_SAFE_INTEGER + 2

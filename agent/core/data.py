"""The caller's data as inputs of a solve: read from files or given as values, and described to
the model without being pasted.

A value reaches the code as a read-only global of its name (`agent.sandbox.inputs`); the model is
told each input's name, its JSON Schema inferred from the data (genson), its size and a short
sample, within a fixed budget however large the data is. Only an input whose JSON fits in
`WHOLE_VALUE_CHARS` is shown whole.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agent import prompts
from agent.errors import UsageError
from agent.sandbox.inputs import MAX_INPUT_BYTES, Inputs, check_name, size_text
from agent.text import MAX_SAFE_INTEGER, clip

__all__ = ["FILE_KINDS", "describe_inputs", "load_inputs", "read_file"]

FILE_KINDS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv"}
"""How a file is read, by its suffix; any other file is read as text."""

READ_CHUNK_BYTES = 1 << 20
"""Bytes asked of the system per read of an input file: the file is read in pieces, never in one
allocation of the cap's size, and the reading stops one byte past the cap whatever the file said
its size was."""

MAX_SAFE_DIGITS = len(str(MAX_SAFE_INTEGER))
"""Digits of the largest integer JavaScript holds exactly (16, of 9007199254740991): a CSV
integer cell with more is past it, and no longer one needs to be parsed to know."""

WHOLE_VALUE_CHARS = 400
"""An input whose JSON is at most this long is shown to the model whole; a larger one never is,
only its first items, cut."""

SAMPLE_ITEMS = 3
"""Items (rows, keys, lines) of a large input shown to the model."""

SAMPLE_TEXT_CHARS = 80
"""Characters of a string inside a sample."""

MAX_SAMPLE_CHARS = 900
"""Characters of one input's sample; fewer items are shown when the first ones are wider."""

MAX_SCHEMA_CHARS = 1200
"""Characters of one input's schema; past it the schema is cut, and says so."""

_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?\Z")
_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)\Z")


def load_inputs(values: Mapping[str, Any] | None, *, base: Path | None = None) -> Inputs:
    """The caller's inputs, files read, checked and serialized (`Inputs.files` says which file
    each came from).

    A `Path` (any `os.PathLike`) is read as a file (see `read_file`); any other value is JSON data,
    and a `str` is always the text itself, never a file name: data from elsewhere (a request, a
    model) cannot make this read a file. Relative paths are read from `base` (default: the
    working directory)."""
    if values is None:
        return Inputs({})
    if not isinstance(values, Mapping):
        raise UsageError(f"inputs must be a mapping of names to values or files, got {type(values).__name__}")
    data: dict[str, Any] = {}
    files: dict[str, str] = {}
    for name, value in values.items():
        check_name(name)
        if (path := _as_path(value)) is not None:
            full = path if base is None or path.is_absolute() else base / path
            data[name] = read_file(full)
            files[name] = path.name
        else:
            data[name] = value
    return Inputs(data, files=files)


def _as_path(value: Any) -> Path | None:
    if isinstance(value, Path):
        return value
    if isinstance(value, os.PathLike):
        return Path(os.fsdecode(value))
    return None


def read_file(path: Path) -> Any:
    """The JSON value of a file, read by its kind: `.json`; `.jsonl`/`.ndjson` (a list, one value
    per non-blank line); `.csv`/`.tsv` (a list of objects keyed by the header row); anything else
    as text. Only a regular file is read (not a pipe, a device or a directory), and never more
    than `MAX_INPUT_BYTES` of it, whatever size it gave. Raises a `UsageError` saying what is
    wrong and where."""
    raw = _read_regular(path, MAX_INPUT_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise UsageError(f"{path}: line {line} is not UTF-8 text (byte {exc.start}): convert the file to UTF-8") from None
    kind = FILE_KINDS.get(path.suffix.lower(), "text")
    if kind == "json":
        return _json(text, path)
    if kind == "jsonl":
        return [_json(line, path, number) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if kind in ("csv", "tsv"):
        return read_table(text, path, delimiter="," if kind == "csv" else "\t")
    return text


_FILE_TYPES = {stat.S_IFDIR: "a directory", stat.S_IFIFO: "a named pipe", stat.S_IFCHR: "a character device",
               stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket"}


def _not_regular(path: Path, mode: int) -> UsageError:
    what = _FILE_TYPES.get(stat.S_IFMT(mode), "not a regular file")
    return UsageError(f"{path} is {what}, not a regular file: inputs are read from files only (save the data to a file first)")


def _over_cap(path: Path, size: int | None, cap: int) -> UsageError:
    held = f"is {size_text(size)}" if size is not None else "holds more bytes than it said it had"
    return UsageError(f"{path} {held}, over the cap of {size_text(cap)} on inputs: filter it first")


def _read_regular(path: Path, cap: int) -> bytes:
    """The bytes of the regular file at `path`, at most `cap` of them (a `UsageError` otherwise).

    A path that is not a regular file is refused before it is opened (opening a device can act);
    it is opened without blocking (a named pipe put in its place meanwhile does not wait for a
    writer) and its descriptor checked again. The size it reports is not trusted (files in /proc
    say 0, a file may grow): the reading itself stops one byte past `cap`."""
    try:
        if not stat.S_ISREG(mode := os.stat(path).st_mode):
            raise _not_regular(path, mode)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        try:
            opened = os.fstat(fd)
            if not stat.S_ISREG(opened.st_mode):
                raise _not_regular(path, opened.st_mode)
            if opened.st_size > cap:
                raise _over_cap(path, opened.st_size, cap)
            parts: list[bytes] = []
            held = 0
            while chunk := os.read(fd, min(READ_CHUNK_BYTES, cap + 1 - held)):
                parts.append(chunk)
                held += len(chunk)
                if held > cap:
                    raise _over_cap(path, None, cap)
            return b"".join(parts)
        finally:
            os.close(fd)
    except OSError as exc:
        raise UsageError(f"cannot read the input file {path}: {exc.strerror or exc}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _json(text: str, path: Path, line: int | None = None) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        where = f"line {line}" if line is not None else f"line {exc.lineno}, column {exc.colno}"
        raise UsageError(f"{path}: {where}: malformed JSON ({exc.msg})") from None
    except (ValueError, RecursionError) as exc:
        where = f"line {line}: " if line is not None else ""
        raise UsageError(f"{path}: {where}malformed JSON ({exc})") from None


def read_table(text: str, path: Path | str = "<table>", *, delimiter: str = ",") -> list[dict[str, Any]]:
    """The rows of CSV (or TSV) text as objects keyed by the header row.

    Quoted fields may hold delimiters, quotes and newlines (RFC 4180). An empty cell, or a row
    that ends early, gives null. A column's cells are numbers when every non-empty cell of it
    reads as one (as data tools infer types), except a column with a number that would not
    survive as one: a leading zero ("007", a code), an integer past 2^53 (an id) or a number past
    the float range ("1e400") keeps the column as text. Only ASCII digits make numbers ("1٢٣" is
    text). Blank lines are skipped; a row with more cells than the header is an error."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise UsageError(f"{path}: the file is empty: a table needs a header row")
        names = [h.strip() for h in header]
        for index, name in enumerate(names):
            if not name:
                raise UsageError(f"{path}: line 1: column {index + 1} of the header has no name")
        if len(set(names)) < len(names):
            twice = next(n for n in names if names.count(n) > 1)
            raise UsageError(f"{path}: line 1: the column {twice!r} is named twice in the header")
        rows: list[list[str]] = []
        for cells in reader:
            if not cells or (len(cells) == 1 and not cells[0].strip() and len(names) > 1):
                continue
            if len(cells) > len(names):
                raise UsageError(f"{path}: line {reader.line_num}: {len(cells)} cells, but the header has {len(names)} columns")
            rows.append(cells)
    except csv.Error as exc:
        raise UsageError(f"{path}: line {reader.line_num}: malformed {'CSV' if delimiter == ',' else 'TSV'} ({exc})") from None
    columns = [_column_reader([row[i] if i < len(row) else "" for row in rows]) for i in range(len(names))]
    return [{name: read(row[i] if i < len(row) else "") for i, (name, read) in enumerate(zip(names, columns))} for row in rows]


def _column_reader(cells: list[str]) -> Any:
    """How the cells of one column are read: as numbers when all the non-empty ones are, and each
    reads back as the number it says."""
    filled = [c.strip() for c in cells if c.strip()]
    numeric = bool(filled) and all(_NUMBER.match(c) and _exact_number(c) for c in filled)
    if not numeric:
        return lambda c: c if c.strip() else None
    return lambda c: (int(c) if _INTEGER.match(c.strip()) else float(c)) if c.strip() else None


def _exact_number(cell: str) -> bool:
    """Whether a cell that reads as a number (`_NUMBER`) survives as one: no leading zero, an
    integer within 2^53 (told by its length first: `int` refuses past 4,300 digits), a float
    within the float range."""
    digits = cell.lstrip("-")
    if len(digits) > 1 and digits[0] == "0" and digits[1] != ".":
        return False
    if _INTEGER.match(cell):
        return len(digits) <= MAX_SAFE_DIGITS and abs(int(cell)) <= MAX_SAFE_INTEGER
    return math.isfinite(float(cell))


def describe_inputs(inputs: Inputs) -> str:
    """The prompt's account of the inputs ("" when there are none): for each, its name, what it
    is, its size, its schema and a sample, never more than a fixed budget."""
    if not inputs:
        return ""
    described = "\n".join(_describe(entry.name, entry.value, len(entry.text.encode("utf-8")), inputs.files.get(entry.name), entry.text)
                          for entry in inputs.entries())
    # The examples name real inputs, each of the kind its code works on: shown `rows`, the
    # embedded model wrote code that reads `rows`; shown `[...inventory]` for an object, it spread it.
    array = next((name for name, value in inputs.items() if isinstance(value, list)), "rows")
    mapping = next((name for name, value in inputs.items() if isinstance(value, dict)), "obj")
    return prompts.render("inputs", inputs=described, names=", ".join(inputs), array=array, object=mapping)


def _describe(name: str, value: Any, size: int, file: str | None, text: str) -> str:
    origin = f" (read from {file})" if file else ""
    head = f"- `{name}`{origin}: {_what(value)}, {_size(size)} as JSON."
    if len(text) <= WHOLE_VALUE_CHARS:
        return f"{head} Its whole value:\n  {text}"
    if isinstance(value, str):
        lines = value.splitlines()
        shown = "\n".join("  | " + _cut_text(line) for line in lines[:SAMPLE_ITEMS + 2])
        return f"{head} Its first {min(len(lines), SAMPLE_ITEMS + 2)} lines:\n{shown}"
    return f"{head}\n  JSON Schema: {_schema(value)}\n  {_sample(value)}"


def _what(value: Any) -> str:
    if isinstance(value, list):
        kinds = {_kind(x) for x in value}
        of = f" {next(iter(kinds))}s" if len(kinds) == 1 else " values"
        return f"an array of {len(value):,}{of if value else ''}"
    if isinstance(value, dict):
        return f"an object with {len(value):,} key{'s' if len(value) != 1 else ''}"
    if isinstance(value, str):
        return f"a string of {len(value):,} characters in {value.count(chr(10)) + 1:,} lines"
    return f"a {_kind(value)}"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _size(size: int) -> str:
    if size < 10_000:
        return f"{size:,} bytes"
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} KB"


def _schema(value: Any) -> str:
    from genson import SchemaBuilder

    builder = SchemaBuilder(schema_uri=None)
    builder.add_object(value)
    text = json.dumps(builder.to_schema(), separators=(",", ":"), ensure_ascii=False)
    return clip(text, MAX_SCHEMA_CHARS, marker=" ... (schema cut)")


def _sample(value: Any) -> str:
    """The first items of a large array or object, long strings and nested arrays cut."""
    if isinstance(value, list):
        for count in range(min(SAMPLE_ITEMS, len(value)), 0, -1):
            text = json.dumps([_cut(x) for x in value[:count]], ensure_ascii=False)
            if len(text) <= MAX_SAMPLE_CHARS:
                return f"The first {count} of {len(value):,} items: {text}"
        return f"The first item, cut: {clip(text, MAX_SAMPLE_CHARS, marker=' ...')}"
    if isinstance(value, dict):
        keys = list(value)[:SAMPLE_ITEMS * 4]
        text = json.dumps({k: _cut(value[k]) for k in keys}, ensure_ascii=False)
        more = f" (and {len(value) - len(keys):,} more keys)" if len(value) > len(keys) else ""
        return f"Its first {len(keys)} keys, values cut: {clip(text, MAX_SAMPLE_CHARS, marker=' ...')}{more}"
    return json.dumps(value)[:MAX_SAMPLE_CHARS]


def _cut(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return _cut_text(value)
    if isinstance(value, list):
        shown = [_cut(x, depth + 1) for x in value[:SAMPLE_ITEMS]] if depth < 3 else []
        return shown + ([f"... {len(value) - len(shown):,} more"] if len(value) > len(shown) else [])
    if isinstance(value, dict):
        if depth >= 3:
            return {"...": f"{len(value)} keys"} if value else {}
        keys = list(value)[:12]
        cut = {k: _cut(value[k], depth + 1) for k in keys}
        if len(value) > len(keys):
            cut["..."] = f"{len(value) - len(keys):,} more keys"
        return cut
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _cut_text(text: str) -> str:
    return clip(text, SAMPLE_TEXT_CHARS, marker="... ({length:,} chars)")

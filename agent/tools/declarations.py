"""The tools as the model reads them: TypeScript declarations made from their JSON Schemas.

    /** Orders placed in one month (YYYY-MM). */
    function orders_in(args: { month: string; limit?: number }): Promise<Order[]>;

Objects become `{ ... }` with required and optional (`?`) properties, `$defs` become named
`interface`s (or `type`s) declared once, enums and consts literal unions, `anyOf`/`oneOf` unions,
`additionalProperties` index signatures; what TypeScript cannot say here is `unknown`. The text
fits `DECLARATIONS_BUDGET`: when it would not, it is cut in a fixed order, each step said in a
trailing comment: property descriptions go first, then nested types deeper than `COLLAPSED_DEPTH`
become `object`, then whole tools are left out from the end, listed by name only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from agent.errors import UsageError
from agent.text import fit

if TYPE_CHECKING:
    from agent.tools.registry import Tool

__all__ = ["COLLAPSED_DEPTH", "DECLARATIONS_BUDGET", "DESCRIPTION_CHARS", "PROPERTY_DESCRIPTION_CHARS", "Declarations", "Step", "declare"]

DECLARATIONS_BUDGET = 6_000
"""Characters of declarations in a prompt (about 1,500 tokens): room for a dozen tools with their
types, while the instruction, the inputs' summaries and the repair feedback keep most of a small
model's context (the embedded model reads ~65 tokens/s, so every 1,000 characters cost ~4 s)."""

DESCRIPTION_CHARS = 600
"""Characters kept of a tool's description (its docstring): the summary and the arguments' notes;
a longer one is usually a manual the declaration's types already say."""

PROPERTY_DESCRIPTION_CHARS = 120
"""Characters kept of a property's or a named type's description: a one-line hint beside the type."""

COLLAPSED_DEPTH = 2
"""Levels of inline object nesting kept once nested types are collapsed: the arguments' own
properties and one level inside them; deeper objects read `object`."""

Step: TypeAlias = Literal["descriptions", "nested", "tools"]
"""A way the declarations were cut to fit: property descriptions left out, nested types collapsed,
tools left out."""

_STEP_NOTES: dict[Step, str] = {
    "descriptions": "// property descriptions left out to fit the size budget",
    "nested": f"// types nested deeper than {COLLAPSED_DEPTH} levels shown as object to fit the size budget",
}
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")
_INDENT = "  "


@dataclass(frozen=True, kw_only=True)
class Declarations:
    """The declarations of a set of tools, and what was cut to fit the budget."""

    text: str
    """The TypeScript: named types first, then one `function` per tool shown, then the notes."""
    shown: tuple[str, ...]
    """The tools declared, in order."""
    cut: tuple[str, ...] = ()
    """The tools left out (named in the trailing comment only), in order."""
    steps: tuple[Step, ...] = ()
    """The cuts applied, in the order they are tried."""


def declare(tools: Iterable[Tool], budget: int = DECLARATIONS_BUDGET) -> Declarations:
    """The TypeScript declarations of `tools` (a `Tools`, or any iterable of `Tool`) within
    `budget` characters, cut as the module says when they would not fit."""
    if budget < 200:
        raise UsageError(f"the declarations budget must be at least 200 characters, got {budget}")
    tools = list(tools)
    steps: list[Step] = []
    for descriptions, depth in ((True, None), (False, None), (False, COLLAPSED_DEPTH)):
        if not descriptions and "descriptions" not in steps:
            steps.append("descriptions")
        if depth is not None:
            steps.append("nested")
        rendered = _Renderer(descriptions=descriptions, max_depth=depth).render(tools)
        text = rendered.assemble(len(tools), steps)
        if len(text) <= budget:
            return Declarations(text=text, shown=tuple(tool.name for tool in tools), steps=tuple(steps))
    steps.append("tools")
    for kept in range(len(tools) - 1, -1, -1):
        text = rendered.assemble(kept, steps, budget)
        if len(text) <= budget or kept == 0:
            names = tuple(tool.name for tool in tools)
            return Declarations(text=text, shown=names[:kept], cut=names[kept:], steps=tuple(steps))
    raise AssertionError("unreachable: zero tools always assemble")


@dataclass(kw_only=True)
class _Rendered:
    """Declarations of every tool at one level of detail, ready to be assembled for a prefix of them."""

    names: list[str]
    functions: list[str]
    uses: list[set[str]]
    types: dict[str, str]
    needs: dict[str, set[str]]

    def assemble(self, kept: int, steps: list[Step], budget: int | None = None) -> str:
        needed = _closure(set().union(*self.uses[:kept]), self.needs)
        parts = [text for name, text in self.types.items() if name in needed] + self.functions[:kept]
        parts += [_STEP_NOTES[step] for step in steps if step in _STEP_NOTES]
        if kept < len(self.names):
            head = "\n".join(parts)
            room = None if budget is None else budget - len(head) - 1
            parts.append(_also(self.names[kept:], room))
        return "\n".join(parts)


def _also(names: list[str], room: int | None) -> str:
    """`// also: a, b, c (not shown: over the size budget)`, with `... and N more` when even the names do not fit."""
    tail = " (not shown: over the size budget)"
    line = f"// also: {', '.join(names)}{tail}"
    if room is None or len(line) <= room:
        return line
    shown: list[str] = []
    for name in names:
        more = f", ... and {len(names) - len(shown) - 1} more"
        if len(f"// also: {', '.join([*shown, name])}{more}{tail}") > room:
            break
        shown.append(name)
    return f"// also: {', '.join([*shown, '...'])} and {len(names) - len(shown)} more{tail}" if shown else \
        f"// also: {len(names)} more tools{tail}"


def _closure(names: set[str], needs: Mapping[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(needs.get(name, ()))
    return seen


@dataclass(kw_only=True)
class _Renderer:
    """Turns JSON Schemas into TypeScript at one level of detail; named types are declared once
    across all tools (two different schemas of the same name get `Name2`, `Name3`, ...)."""

    descriptions: bool
    max_depth: int | None
    types: dict[str, str] = field(default_factory=dict)
    needs: dict[str, set[str]] = field(default_factory=dict)
    by_schema: dict[str, str] = field(default_factory=dict)
    uses: set[str] = field(default_factory=set)

    def render(self, tools: list[Tool]) -> _Rendered:
        functions: list[str] = []
        uses: list[set[str]] = []
        for tool in tools:
            self.uses = set()
            functions.append(self.function(tool))
            uses.append(self.uses)
        return _Rendered(names=[tool.name for tool in tools], functions=functions, uses=uses, types=self.types, needs=self.needs)

    def function(self, tool: Tool) -> str:
        parameters = tool.parameters
        args = self.type(parameters, _Scope(parameters), depth=1, indent="")
        optional = "?" if _all_optional(parameters) else ""
        returns = "unknown" if tool.returns is None else self.result(tool.returns)
        comment = _comment(fit(tool.description or "", DESCRIPTION_CHARS, strip=True), "")
        return f"{comment}function {tool.name}(args{optional}: {args}): Promise<{returns}>;"

    def result(self, schema: dict[str, Any]) -> str:
        """The type a tool's promise resolves to: an object schema with a title (a dataclass, a
        TypedDict, a model) is declared as an interface of that name."""
        title = schema.get("title")
        if isinstance(title, str) and _is_interface(schema):
            return self.named(title, schema, _Scope(schema))
        return self.type(schema, _Scope(schema), depth=1, indent="")

    def type(self, schema: Any, scope: _Scope, *, depth: int, indent: str) -> str:
        """The TypeScript type of `schema`, for use at nesting `depth` and indentation `indent`."""
        if schema is True or schema == {}:
            return "unknown"
        if not isinstance(schema, dict):
            return "never" if schema is False else "unknown"
        text = self.bare_type(schema, scope, depth=depth, indent=indent)
        if schema.get("nullable") is True and text not in ("unknown", "null"):
            text = _union([text, "null"])
        return text

    def bare_type(self, schema: dict[str, Any], scope: _Scope, *, depth: int, indent: str) -> str:
        if "$ref" in schema:
            return self.reference(schema["$ref"], scope, depth=depth)
        if "const" in schema:
            return _literal(schema["const"])
        if isinstance(schema.get("enum"), list):
            return _union([_literal(value) for value in schema["enum"]])
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list):
                return _union([self.type(option, scope, depth=depth, indent=indent) for option in schema[key]])
        if isinstance(schema.get("allOf"), list):
            members = [self.type(part, scope, depth=depth, indent=indent) for part in schema["allOf"]]
            return " & ".join(f"({member})" if " | " in member else member for member in members) or "unknown"
        kind = schema.get("type")
        if isinstance(kind, list):
            return _union([self.bare_type({**schema, "type": one}, scope, depth=depth, indent=indent) for one in kind])
        if kind == "object" or (kind is None and ("properties" in schema or "additionalProperties" in schema)):
            return self.object(schema, scope, depth=depth, indent=indent)
        if kind == "array" or (kind is None and ("items" in schema or "prefixItems" in schema)):
            return self.array(schema, scope, depth=depth, indent=indent)
        return {"string": "string", "integer": "number", "number": "number", "boolean": "boolean", "null": "null"}.get(str(kind), "unknown")

    def array(self, schema: dict[str, Any], scope: _Scope, *, depth: int, indent: str) -> str:
        prefix = schema.get("prefixItems")
        if isinstance(prefix, list) and schema.get("items") is False:
            return "[" + ", ".join(self.type(item, scope, depth=depth, indent=indent) for item in prefix) + "]"
        item = self.type(schema.get("items", {}), scope, depth=depth, indent=indent)
        return f"({item})[]" if (" | " in item or " & " in item) and not item.startswith("{") else f"{item}[]"

    def object(self, schema: dict[str, Any], scope: _Scope, *, depth: int, indent: str, multiline: bool = False) -> str:
        properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        extra = schema.get("additionalProperties")
        if self.max_depth is not None and depth > self.max_depth:
            return "object"
        if not properties:
            if extra is False or (extra is None and "properties" in schema):
                return "{}"
            return f"Record<string, {self.type(extra if isinstance(extra, dict) else {}, scope, depth=depth + 1, indent=indent)}>"
        required = set(schema.get("required") or ())
        inner = indent + _INDENT
        members: list[tuple[str, str]] = []
        for name, sub in properties.items():
            key = name if _IDENTIFIER.match(name) else json.dumps(name, ensure_ascii=False)
            mark = "" if name in required else "?"
            members.append((self.property_comment(sub, inner), f"{key}{mark}: {self.type(sub, scope, depth=depth + 1, indent=inner)}"))
        if isinstance(extra, dict) or extra is True:
            members.append(("", f"[key: string]: {self.type(extra, scope, depth=depth + 1, indent=inner)}"))
        if not multiline and not any(comment for comment, _ in members) and not any("\n" in member for _, member in members):
            return "{ " + "; ".join(member for _, member in members) + " }"
        return "{\n" + "".join(f"{comment}{inner}{member};\n" for comment, member in members) + indent + "}"

    def property_comment(self, schema: Any, indent: str) -> str:
        if not self.descriptions or not isinstance(schema, dict):
            return ""
        note = str(schema.get("description") or "").strip()
        if schema.get("default") is not None:
            default = f"default {json.dumps(schema['default'], ensure_ascii=False)}"
            note = f"{note} ({default})" if note else default.capitalize()
        return _comment(fit(note, PROPERTY_DESCRIPTION_CHARS, strip=True), indent)

    def reference(self, ref: Any, scope: _Scope, *, depth: int) -> str:
        """A named type for a local `$ref` (`#/$defs/Order`), declared once; any other reference is `unknown`."""
        found = scope.resolve(ref)
        if found is None:
            return "unknown"
        if self.max_depth is not None and depth > self.max_depth:
            return "object"
        return self.named(*found, scope)

    def named(self, name: str, schema: Any, scope: _Scope) -> str:
        """The name a schema is declared under, declaring it on first use."""
        key = json.dumps([name, schema], sort_keys=True, default=str)
        known = self.by_schema.get(key)
        if known is None:
            known = self.by_schema[key] = self.fresh(name)
            self.needs[known] = set()
            outer = self.uses
            self.uses = self.needs[known]
            self.types[known] = self.declaration(known, schema, scope)
            self.uses = outer
        self.uses.add(known)
        return known

    def fresh(self, name: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_$]", "_", name) or "Type"
        base = base if _IDENTIFIER.match(base) else f"T{base}"
        candidate, number = base, 1
        while candidate in self.needs:
            number += 1
            candidate = f"{base}{number}"
        return candidate

    def declaration(self, name: str, schema: Any, scope: _Scope) -> str:
        description = schema.get("description") if isinstance(schema, dict) and self.descriptions else None
        comment = _comment(fit(str(description), PROPERTY_DESCRIPTION_CHARS, strip=True), "") if description else ""
        if _is_interface(schema):
            return f"{comment}interface {name} {self.object(schema, scope, depth=1, indent='', multiline=True)}"
        return f"{comment}type {name} = {self.type(schema, scope, depth=1, indent='')};"


@dataclass(frozen=True)
class _Scope:
    """The root schema `$ref`s resolve against."""

    root: Any

    def resolve(self, ref: Any) -> tuple[str, Any] | None:
        if not isinstance(ref, str) or not isinstance(self.root, dict):
            return None
        for prefix in ("#/$defs/", "#/definitions/"):
            if ref.startswith(prefix):
                name = ref[len(prefix):]
                defs = self.root.get(prefix[2:-1])
                if isinstance(defs, dict) and name in defs and "/" not in name:
                    return name, defs[name]
        return None


def _all_optional(parameters: dict[str, Any]) -> bool:
    """Whether the arguments object may be left out: an object schema with nothing required."""
    return parameters.get("type") == "object" and not parameters.get("required")


def _is_interface(schema: Any) -> bool:
    """Whether a named schema reads as an `interface`: a plain object with properties."""
    return (isinstance(schema, dict) and isinstance(schema.get("properties"), dict) and bool(schema["properties"])
            and schema.get("type", "object") == "object" and not schema.get("nullable")
            and not any(key in schema for key in ("$ref", "anyOf", "oneOf", "allOf", "enum", "const")))


def _union(members: list[str]) -> str:
    unique = list(dict.fromkeys(members))
    if "unknown" in unique:
        return "unknown"
    return " | ".join(unique) or "never"


def _literal(value: Any) -> str:
    if isinstance(value, str | bool | int | float) or value is None:
        return json.dumps(value, ensure_ascii=False)
    return "unknown"


def _comment(text: str, indent: str) -> str:
    """`/** text */` on its own line (or lines), before a declaration; empty for no text."""
    text = text.strip().replace("*/", "*\\/")
    if not text:
        return ""
    lines = text.splitlines()
    if len(lines) == 1:
        return f"{indent}/** {lines[0]} */\n"
    return f"{indent}/**\n" + "".join(f"{indent} * {line}".rstrip() + "\n" for line in lines) + f"{indent} */\n"



"""Pre-validation: what can be known about the code from its syntax tree, before running it.

The tree comes from tree-sitter's JavaScript grammar. Every finding is a `Failure` with the
position in the model's code; the first one found is reported, policy before contract, because
a fix for an earlier one often changes the later ones.

Code that does not parse is left to the engine: QuickJS compiles the whole module before running
any of it and names the exact token (`const x = (1 +;` is "unexpected token in expression: ';'"
at column 15), while tree-sitter's error recovery points earlier and vaguer (column 9). So the
`syntax` verdict is the engine's, and the tree is only trusted when it has no error nodes.

Any text is accepted. A lone UTF-16 surrogate in it (a model's JSON reply can carry `\\ud800`)
is a `syntax` finding: it is not text, and the engine cannot even be handed it. Columns count
characters, as the line quoted to the model does, not tree-sitter's bytes.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

import tree_sitter
import tree_sitter_javascript

from agent.core.failures import Failure
from agent.sandbox.builtins import MODULES as BUILTIN_MODULES
from agent.sandbox.builtins import unknown_module
from agent.sandbox.inputs import INPUTS_MODULE
from agent.text import LONE_SURROGATE, first_line
from agent.tools.registry import TOOLS_MODULE

__all__ = ["is_literal_call", "prevalidate", "same_code"]

_FUNCTION_NODES = {"function_declaration", "function_expression", "function", "arrow_function",
                   "generator_function", "generator_function_declaration"}
_DECLARING_PARENTS = {"variable_declarator", "function_declaration", "function_expression", "class_declaration",
                      "generator_function_declaration", "generator_function", "class", "formal_parameters",
                      "import_specifier", "import_clause", "namespace_import", "catch_clause", "required_parameter",
                      "assignment_pattern", "array_pattern", "rest_pattern"}
_local = threading.local()


def _parser() -> tree_sitter.Parser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_javascript.language()))
    return parser


def same_code(a: str, b: str) -> bool:
    """Whether two modules are the same code, ignoring blank lines and trailing spaces."""
    return _normalized(a) == _normalized(b)


def _normalized(code: str) -> list[str]:
    return [line.rstrip() for line in code.splitlines() if line.strip()]


_LITERAL_NODES = {"program", "expression_statement", "call_expression", "arguments", "number", "string", "string_fragment",
                  "escape_sequence", "template_string", "true", "false", "null", "undefined", "array", "object", "pair",
                  "property_identifier", "unary_expression", "parenthesized_expression"}
_LITERAL_NAMES = {"undefined", "NaN", "Infinity"}


def is_literal_call(call: str, name: str) -> bool:
    """Whether `call` is one call of the function `name` whose arguments are plain data (numbers,
    strings, booleans, arrays and objects of them): a call that gives every correct function the
    same result, whatever else the code declares."""
    root = _parser().parse(call.encode("utf-8")).root_node
    if root.has_error or root.named_child_count != 1 or root.named_children[0].type != "expression_statement":
        return False
    expression = root.named_children[0].named_children[0]
    if expression.type != "call_expression" or _text(expression.child_by_field_name("function")) != name:
        return False
    arguments = expression.child_by_field_name("arguments")
    for node in _walk(arguments) if arguments is not None else ():
        if not node.is_named:
            continue
        if node.type == "identifier":
            if _text(node) not in _LITERAL_NAMES:
                return False
        elif node.type not in _LITERAL_NODES:
            return False
        if node.type == "unary_expression" and _text(node.child_by_field_name("operator")) not in ("-", "+"):
            return False
    return True


@dataclass
class _Scan:
    imports: list[tree_sitter.Node] = field(default_factory=list)
    references: dict[str, tree_sitter.Node] = field(default_factory=dict)
    declared: set[str] = field(default_factory=set)
    functions: set[str] = field(default_factory=set)
    default_export: tree_sitter.Node | None = None
    module_exports: bool = False


def _walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    cursor = node.walk()
    while True:
        if cursor.node is not None:
            yield cursor.node
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return


def _scan(root: tree_sitter.Node) -> _Scan:
    scan = _Scan()
    for node in _walk(root):
        kind = node.type
        if kind == "import_statement" or (kind == "call_expression" and (function := node.child_by_field_name("function")) is not None and function.type == "import"):
            scan.imports.append(node)
        elif kind in ("identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern"):
            name = _text(node)
            parent = node.parent
            if kind == "shorthand_property_identifier_pattern" or (parent is not None and parent.type in _DECLARING_PARENTS and parent.child_by_field_name("value") != node and parent.child_by_field_name("right") != node):
                scan.declared.add(name)
                if parent is not None and (parent.type in _FUNCTION_NODES or (parent.type == "variable_declarator" and (v := parent.child_by_field_name("value")) is not None and v.type in _FUNCTION_NODES)):
                    scan.functions.add(name)
            else:
                scan.references.setdefault(name, node)
        elif kind == "export_statement" and any(child.type == "default" for child in node.children):
            scan.default_export = node
        elif kind == "member_expression" and (node.text or b"").replace(b" ", b"").startswith((b"module.exports", b"exports.")):
            scan.module_exports = True
    return scan


_DECLARATIONS = ("lexical_declaration", "variable_declaration", "function_declaration", "class_declaration", "generator_function_declaration")


def _hides_input(root: tree_sitter.Node, inputs: Collection[str]) -> tuple[str, tree_sitter.Node] | None:
    """A top-level declaration of an input's name: the input is then out of the code's reach
    (small models copy the sample rows they were shown into such a declaration)."""
    for statement in root.named_children:
        if statement.type == "export_statement":
            statement = statement.child_by_field_name("declaration") or statement
        if statement.type not in _DECLARATIONS:
            continue
        names = [statement.child_by_field_name("name")] if "function" in statement.type or statement.type == "class_declaration" else [
            d.child_by_field_name("name") for d in statement.named_children if d.type == "variable_declarator"]
        for node in names:
            if node is not None and node.type == "identifier" and _text(node) in inputs:
                return _text(node), statement
    return None


def _named_import(node: tree_sitter.Node, module: str, what: str, names: Collection[str], source: bytes) -> Failure | None:
    """What is wrong with an import from `module` (`jsolve:inputs`, `jsolve:tools`), or None: it
    must name some of `names` (the task's `what`: inputs or tools), at the top level of the
    module, on a line of its own, as the worker rewrites it
    (`agent.sandbox.worker.imports._imports`)."""
    if not names:
        return _at(node, "policy", f"this task has no {what} to import from {module}: write the code without imports", source)
    clause = next((c for c in node.named_children if c.type == "import_clause"), None)
    named = next((c for c in clause.named_children if c.type == "named_imports"), None) if clause is not None else None
    example = f'import {{ {", ".join(names)} }} from "{module}";'
    if clause is None or named is None or len(clause.named_children) > 1:
        return _at(node, "policy", f"import the {what} by name: `{example}`", source)
    line_start = source.rfind(b"\n", 0, node.start_byte) + 1
    if (node.parent is None or node.parent.type != "program" or source[line_start:node.start_byte].strip(b" \t")
            or any(inner.type == "comment" for inner in _walk(node))):
        return _at(node, "policy", f"import the {what} by name, at the top level of the module, on a line of its own and with "
                                   f"no comment inside: `{example}`", source)
    for specifier in named.named_children:
        name = specifier.child_by_field_name("name")
        if name is not None and _text(name) not in names:
            return _at(specifier, "policy", f"{module} has no `{_text(name)}`: the {what} are {', '.join(f'`{n}`' for n in names)} "
                                            f"(`{example}`)", source)
    return None


def _text(node: tree_sitter.Node | None) -> str:
    return (node.text or b"").decode("utf-8", "replace") if node is not None else ""


def _at(node: tree_sitter.Node, kind: str, message: str, source: bytes, hint: str | None = None) -> Failure:
    before = source[node.start_byte - node.start_point.column:node.start_byte]
    column = len(before.decode("utf-8", "replace"))
    return Failure(kind=kind, message=message, line=node.start_point.row + 1, column=column + 1, hint=hint)  # type: ignore[arg-type]


def _lone_surrogate(code: str) -> Failure | None:
    if (found := LONE_SURROGATE.search(code)) is None:
        return None
    at = found.start()
    line_start = code.rfind("\n", 0, at) + 1
    return Failure(kind="syntax", line=code.count("\n", 0, at) + 1, column=at - line_start + 1,
                   message=f"the code holds a lone UTF-16 surrogate (U+{ord(found[0]):04X}), half of a character, which is not text "
                           f"and cannot be run; write it as the escape `\\u{ord(found[0]):04x}` inside a string, or use the whole character")


def prevalidate(code: str, *, network: bool = False, function_export: bool = False, failed: Collection[str] = (),
                inputs: Collection[str] = (), tools: Collection[str] = ()) -> Failure | None:
    """The first problem in `code`, or None.

    `network` says whether `fetch` exists; `function_export` allows a default export that is a
    function (when a check will call it); `failed` holds the code of earlier failed attempts;
    `inputs` names the caller's inputs, which the module must read, not declare anew; `tools`
    names the caller's tools, which it may import from `jsolve:tools`.
    """
    if any(same_code(code, earlier) for earlier in failed):
        return Failure(kind="repeat", message="this is the same code as an earlier attempt that failed")
    if (failure := _lone_surrogate(code)) is not None:
        return failure
    source = code.encode()
    tree = _parser().parse(source)
    if tree.root_node.has_error:
        return None  # the engine reports the syntax error, with its own message and position
    scan = _scan(tree.root_node)
    for node in scan.imports:
        if node.type == "import_statement":
            module = node.child_by_field_name("source")
            if module is not None and _text(module)[1:-1] == INPUTS_MODULE:
                if (failure := _named_import(node, INPUTS_MODULE, "inputs", inputs, source)) is not None:
                    return failure
                continue
            if module is not None and _text(module)[1:-1] == TOOLS_MODULE:
                if (failure := _named_import(node, TOOLS_MODULE, "tools", tools, source)) is not None:
                    return failure
                continue
        else:
            arguments = node.child_by_field_name("arguments")
            module = arguments.named_children[0] if arguments is not None and arguments.named_children else None
        if module is not None and module.type == "string" and _text(module)[1:-1].removeprefix("node:") in BUILTIN_MODULES:
            continue
        what = _text(module)[1:-1] if module is not None and module.type == "string" else "a module"
        return _at(node, "policy", f"`import` of {_text(module) if module is not None else 'a module'}: {unknown_module(what, network=network)}", source)
    for name, message in (("require", "`require` does not exist in the sandbox: import Node's built-ins instead "
                                      "(`import { createHash } from \"node:crypto\"`)"),
                          ("fetch", "`fetch` is not available: the network is off for this task")):
        if name in scan.references and name not in scan.declared and (name != "fetch" or not network):
            return _at(scan.references[name], "policy", message, source)
    if inputs and (hiding := _hides_input(tree.root_node, inputs)) is not None:
        name, node = hiding
        return _at(node, "contract", f"this declares `{name}`, which hides the input `{name}` (the caller's data, already loaded): "
                                     f"delete the declaration and read `{name}` itself; never copy the data into the code", source,
                   hint=f"Import it (`import {{ {name} }} from \"{INPUTS_MODULE}\";`) and use `{name}` as it is wherever the code "
                        f"needs the data; to change it, copy it under a new name first (`const copy = [...{name}]` for an array, "
                        f"`const copy = {{ ...{name} }}` for an object).")
    if scan.default_export is None:
        hint = " (`module.exports` is Node.js; use `export default`)" if scan.module_exports else ""
        return Failure(kind="contract", message=f"the module has no `export default`{hint}")
    if not function_export:
        value = scan.default_export.child_by_field_name("value") or scan.default_export.child_by_field_name("declaration")
        if value is not None and (value.type in _FUNCTION_NODES or (value.type == "identifier" and _text(value) in scan.functions)):
            written = first_line(_text(scan.default_export)).rstrip()
            call = "await " if _text(value).lstrip().startswith("async") else ""
            if value.type == "identifier":
                how = f"change it to `export default {call}{_text(value)}();`"
            elif (function_name := value.child_by_field_name("name")) is not None:
                how = f"remove `export default` from the function and end the module with `export default {call}{_text(function_name)}();`"
            else:
                how = f"write `const main = ...` instead and end the module with `export default {call}main();`"
            return _at(scan.default_export, "contract", f"`{written}` exports the function itself, which is never called: {how}", source)
    return None

"""TypeScript accepted by erasing its types in place.

Models shown TypeScript declarations write TypeScript. Its type syntax is replaced by spaces
(line breaks kept), the way ts-blank-space does it, so every line and column of the JavaScript
that remains is the one the model wrote, and every error the engine reports points at the
model's own code. Nothing is generated, with three exceptions that keep the meaning, as in
ts-blank-space:

- a `;` takes the first column of a removed statement or class member when the code before it
  does not end with one, and of an `as`/`satisfies` that ends a statement, so that the next line
  cannot continue the one before (`x = 1` then `type T = 1` then `(f)()`);
- when the type parameters of a function run over lines before its `(`, the `(` moves up to
  where they started (`async <\\n T\\n>(v) => v` would otherwise lose its `async`);
- when an arrow function's return type runs over lines, its `)` moves down to where the type
  ends, which keeps `=>` on the line of the `)`, as JavaScript requires.

Syntax that has a meaning at run time cannot be erased: enums, namespaces that hold values,
parameter properties, `import x = require(...)`, `export =` and `<T>value` casts, plus an `as`
whose removal would regroup operators. Each raises `TypeScriptUnsupported` at its position, with
what to write instead. A type-only import (`import type`, or one whose every name is `type`) is
removed whole, as the TypeScript compiler removes it.

Which code is TypeScript is decided from the code itself, not from the fence or the file name
(models put TypeScript in ```js fences and JavaScript in ```ts ones): code that parses as
JavaScript is JavaScript and is never changed; code that does not, but parses as TypeScript (or
parses further as TypeScript), is erased. The TypeScript grammar is loaded the first time code
needs it. Columns count characters, as the engine's and `agent.core.validate`'s do.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

import tree_sitter
import tree_sitter_javascript

from agent.core.failures import Failure

__all__ = ["TypeScriptUnsupported", "erase_types", "looks_like_typescript", "to_javascript"]

BLANKED_WHOLE = frozenset({
    "interface_declaration", "type_alias_declaration", "ambient_declaration", "function_signature",
    "method_signature", "abstract_method_signature", "index_signature",
})
"""Nodes that are nothing but types: removed whole, wherever they stand."""

BLANKED_EXACT = frozenset({
    "type_annotation", "type_predicate_annotation", "asserts_annotation", "type_arguments",
    "implements_clause", "accessibility_modifier", "override_modifier",
})
"""Nodes that are type syntax inside JavaScript (`: T`, `<T>`, `implements I`, `private`):
removed, and nothing under them is visited."""

REMOVED_KEYWORDS = frozenset({"readonly", "abstract", "declare"})
"""Modifier keywords that only the type checker reads, removed where they modify a class or a
class member (`declare` and `abstract` members are removed whole)."""

FUNCTION_NODES = frozenset({
    "function_declaration", "function_expression", "function", "arrow_function", "generator_function",
    "generator_function_declaration", "method_definition",
})
"""Nodes with parameters, a return type and type parameters, in the TypeScript grammar."""

STATEMENT_LISTS = frozenset({"program", "statement_block", "class_body", "switch_case", "switch_default"})
"""Nodes whose children are statements (or class members), where a removed one may need a `;`."""

ENDS_WITHOUT_SEMICOLON = frozenset({
    "function_declaration", "generator_function_declaration", "class_declaration", "abstract_class_declaration",
    "method_definition", "class_static_block", "statement_block", "if_statement", "for_statement", "for_in_statement",
    "while_statement", "try_statement", "switch_statement", "comment", "{", ";", ":",
})
"""Siblings after which the next statement or member can never continue the code before it."""

PRECEDENCE = {
    "**": 15, "*": 14, "/": 14, "%": 14, "+": 13, "-": 13, "<<": 12, ">>": 12, ">>>": 12,
    "<": 11, "<=": 11, ">": 11, ">=": 11, "instanceof": 11, "in": 11,
    "==": 10, "!=": 10, "===": 10, "!==": 10, "&": 9, "^": 8, "|": 7, "&&": 6, "||": 5, "??": 4,
}
"""JavaScript's binary operators and their precedence, to see whether removing `as T` regroups
`a + b as T * c` (`(a + b) * c` in TypeScript, `a + b * c` without the `as T`)."""

CONTINUING_EXPRESSIONS = frozenset({"call_expression", "member_expression", "subscript_expression"})
"""Expressions that continue the one they start with (`a(b)`, `a.b`, `a[b]`): TypeScript never
continues `a as T` that way without parentheses around it."""

PARAMETER_MODIFIERS = frozenset({"accessibility_modifier", "override_modifier", "readonly"})
"""What makes a constructor parameter a parameter property, which assigns a field at run time."""

_LINE_BREAK = re.compile(r"[\n\r\u2028\u2029]")
_NOT_LINE_BREAK = re.compile(r"[^\n\r\u2028\u2029]")
_local = threading.local()


class TypeScriptUnsupported(ValueError):
    """TypeScript syntax that has a meaning at run time, so erasing its types cannot give JavaScript.

    The message names the construct and says what to write instead; `line` and `column` (1-based,
    columns in characters) say where it starts in the code."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        """What the construct is and what to write instead."""
        self.line = line
        """1-based line of the construct."""
        self.column = column
        """1-based column of the construct, in characters."""

    def __str__(self) -> str:
        return f"{self.message} (line {self.line}, column {self.column})"


@dataclass(frozen=True, slots=True)
class _Edit:
    """One range of the source (bytes) turned into spaces."""

    start: int
    """First byte of the range."""
    end: int
    """Byte after the range."""
    first: str = ""
    """Written in place of the range's first character (`;` or `(`)."""
    last: str = ""
    """Written in place of the range's last character (`)`)."""


def _javascript_parser() -> tree_sitter.Parser:
    parser = getattr(_local, "javascript", None)
    if parser is None:
        parser = _local.javascript = tree_sitter.Parser(tree_sitter.Language(tree_sitter_javascript.language()))
    return parser


def _typescript_parser() -> tree_sitter.Parser:
    parser = getattr(_local, "typescript", None)
    if parser is None:
        import tree_sitter_typescript  # only code that is not JavaScript needs it

        parser = _local.typescript = tree_sitter.Parser(tree_sitter.Language(tree_sitter_typescript.language_typescript()))
    return parser


def _first_error(root: tree_sitter.Node) -> int | None:
    """The byte where the first error or missing token of a tree is, or None when it has none."""
    if not root.has_error:
        return None
    node: tree_sitter.Node | None = root
    while node is not None:
        if node.type == "ERROR" or node.is_missing:
            return node.start_byte
        node = next((child for child in node.children if child.has_error or child.is_missing), None)
    return root.end_byte


def looks_like_typescript(code: str) -> bool:
    """Whether `code` is TypeScript to erase: it does not parse as JavaScript, and parses as
    TypeScript, or further as TypeScript than as JavaScript (TypeScript with a syntax error of its
    own, which the engine then reports at its place once the types are gone)."""
    return _typescript_tree(code.encode("utf-8", "surrogatepass")) is not None


def to_javascript(code: str) -> str | Failure:
    """The JavaScript to run for `code`: `code` itself, unchanged, when it is not TypeScript
    (`looks_like_typescript`), else `code` with its types erased (`erase_types`); a `syntax`
    failure, at the construct's line and column, for TypeScript that cannot be erased."""
    source = code.encode("utf-8", "surrogatepass")
    tree = _typescript_tree(source)
    if tree is None:
        return code
    try:
        return _erase(code, source, tree.root_node)
    except TypeScriptUnsupported as error:
        return Failure(kind="syntax", message=error.message, line=error.line, column=error.column)


def erase_types(code: str) -> str:
    """`code` with its TypeScript type syntax replaced by spaces: every line and column of the rest
    is unchanged. Raises `TypeScriptUnsupported` for syntax that has a meaning at run time.
    JavaScript comes back unchanged, unless it reads differently as TypeScript (`f<T>(x)`): call
    `looks_like_typescript` first, or `to_javascript`, to keep such code as it is."""
    source = code.encode("utf-8", "surrogatepass")
    return _erase(code, source, _typescript_parser().parse(source).root_node)


def _typescript_tree(source: bytes) -> tree_sitter.Tree | None:
    """The TypeScript tree of `source` when it is TypeScript (`looks_like_typescript`), else None."""
    javascript_error = _first_error(_javascript_parser().parse(source).root_node)
    if javascript_error is None:
        return None
    tree = _typescript_parser().parse(source)
    typescript_error = _first_error(tree.root_node)
    return tree if typescript_error is None or typescript_error > javascript_error else None


def _erase(code: str, source: bytes, root: tree_sitter.Node) -> str:
    edits = _Eraser(source).erase(root)
    return _apply(source, edits) if edits else code


def _apply(source: bytes, edits: list[_Edit]) -> str:
    pieces: list[str] = []
    done = 0
    for edit in sorted(edits, key=lambda e: (e.start, -e.end)):
        if edit.end <= done:
            continue  # inside a range already removed
        start = max(edit.start, done)
        pieces.append(source[done:start].decode("utf-8", "surrogatepass"))
        blank = _NOT_LINE_BREAK.sub(" ", source[start:edit.end].decode("utf-8", "surrogatepass"))
        if edit.first and start == edit.start and (at := blank.find(" ")) >= 0:
            blank = blank[:at] + edit.first + blank[at + 1:]  # on the range's first column that is no line break
        if edit.last and (at := blank.rfind(" ")) >= 0:
            blank = blank[:at] + edit.last + blank[at + 1:]
        pieces.append(blank)
        done = edit.end
    pieces.append(source[done:].decode("utf-8", "surrogatepass"))
    return "".join(pieces)


def _has_token(node: tree_sitter.Node, token: str) -> bool:
    return any(not child.is_named and child.type == token for child in node.children)


class _Eraser:
    """The walk over one TypeScript tree that collects the ranges to blank."""

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.edits: list[_Edit] = []

    def erase(self, root: tree_sitter.Node) -> list[_Edit]:
        stack = [root]
        while stack:
            node = stack.pop()
            if node.type == "ERROR":
                continue  # left as written: the engine reports the syntax error there
            stack.extend(reversed(self._visit(node)))
        return self.edits

    def _visit(self, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        """Record the edits `node` itself needs; the children still to visit."""
        if not node.is_named:
            return []  # a token: the keyword `class` or `module` is no class or module
        kind = node.type
        if kind in BLANKED_WHOLE:
            self._remove_statement(node)
            return []
        if kind in BLANKED_EXACT:
            self._blank(node)
            return []
        handler = _HANDLERS.get(kind)
        if handler is not None:
            return handler(self, node)
        if kind in FUNCTION_NODES:
            return self._function(node)
        return node.children

    # -- edits ---------------------------------------------------------------------------------

    def _blank(self, node: tree_sitter.Node, *, with_comma: bool = False) -> None:
        end = node.end_byte
        if with_comma and (after := node.next_sibling) is not None and after.type == ",":
            end = after.end_byte
        self.edits.append(_Edit(node.start_byte, end))

    def _remove_statement(self, node: tree_sitter.Node) -> None:
        """Blank a statement or class member, with a `;` first when the code before it could
        otherwise run on into the code after it."""
        self.edits.append(_Edit(node.start_byte, node.end_byte, first=";" if self._needs_semicolon(node) else ""))

    def _needs_semicolon(self, node: tree_sitter.Node) -> bool:
        if node.parent is None or node.parent.type not in STATEMENT_LISTS:
            return False
        before = node.prev_sibling
        while before is not None and before.type == "comment":
            before = before.prev_sibling
        return before is not None and before.type not in ENDS_WITHOUT_SEMICOLON and not (before.text or b"").endswith(b";")

    def _unsupported(self, node: tree_sitter.Node, message: str) -> TypeScriptUnsupported:
        line_start = self.source.rfind(b"\n", 0, node.start_byte) + 1
        column = len(self.source[line_start:node.start_byte].decode("utf-8", "surrogatepass"))
        return TypeScriptUnsupported(message, node.start_point.row + 1, column + 1)

    # -- statements ----------------------------------------------------------------------------

    def _import(self, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        if any(child.type == "import_require_clause" for child in node.children):
            raise self._unsupported(node, "`import x = require(...)` is not supported (it is CommonJS): "
                                          "write `import x from \"...\"` or `import { name } from \"...\"`")
        if _has_token(node, "type"):
            self._remove_statement(node)
            return []
        clause = next((child for child in node.children if child.type == "import_clause"), None)
        named = next((child for child in clause.children if child.type == "named_imports"), None) if clause else None
        if clause is None or named is None:
            return []
        specifiers = [child for child in named.children if child.type == "import_specifier"]
        typed = [specifier for specifier in specifiers if _has_token(specifier, "type")]
        if typed and len(typed) == len(specifiers) and clause.named_child_count == 1:
            self._remove_statement(node)  # only types imported: the compiler drops the import
        else:
            for specifier in typed:
                self._blank(specifier, with_comma=True)
        return []

    def _import_alias(self, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        raise self._unsupported(node, "`import x = a.b` is not supported: write `const x = a.b`")

    def _export(self, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        if _has_token(node, "="):
            raise self._unsupported(node, "`export =` is not supported (it is CommonJS): write `export default ...`")
        declaration = node.child_by_field_name("declaration")
        if _has_token(node, "type") or (declaration is not None and declaration.type in BLANKED_WHOLE):
            self._remove_statement(node)
            return []
        if declaration is not None and declaration.type in ("internal_module", "module"):
            return self._namespace(declaration, statement=node)
        clause = next((child for child in node.children if child.type == "export_clause"), None)
        if clause is not None:
            for specifier in clause.children:
                if specifier.type == "export_specifier" and _has_token(specifier, "type"):
                    self._blank(specifier, with_comma=True)
        return [child for child in node.children if child.type != "export_clause"]

    def _expression_statement(self, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        inner = node.named_children[0] if node.named_child_count else None
        if inner is not None and inner.type == "internal_module":
            return self._namespace(inner, statement=node)
        return node.children

    def _namespace(self, node: tree_sitter.Node, *, statement: tree_sitter.Node | None = None) -> list[tree_sitter.Node]:
        body = node.child_by_field_name("body")
        if body is not None and _holds_values(body):
            raise self._unsupported(node, "a namespace with values in it is not supported: "
                                          "use a const object, or plain functions and constants at the top level")
        self._remove_statement(statement or node)
        return []

    def _enum(self, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        name = node.child_by_field_name("name")
        called = f" `{(name.text or b'').decode()}`" if name is not None else ""
        raise self._unsupported(node, f"enums are not supported (enum{called}): use a const object, "
                                      f"`const Color = {{ Red: \"Red\", Green: \"Green\" }} as const`")

    def _type_assertion(self, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        raise self._unsupported(node, "the cast `<T>value` is not supported: write `value as T`")

    # -- classes -------------------------------------------------------------------------------

    def _class(self, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        visit: list[tree_sitter.Node] = []
        for child in node.children:
            if child.type == "type_parameters" or (not child.is_named and child.type in REMOVED_KEYWORDS):
                self._blank(child)
            else:
                visit.append(child)
        return visit

    def _field(self, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        if _has_token(node, "declare") or _has_token(node, "abstract"):
            self._remove_statement(node)
            return []
        return self._member(node)

    def _member(self, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        """Remove a class member's type-only modifiers, `?` and `!`; a `;` replaces the first one
        when it starts the member and the member before could run on into what follows."""
        visit: list[tree_sitter.Node] = []
        for child in node.children:
            if child.type in ("accessibility_modifier", "override_modifier") or (not child.is_named and child.type in REMOVED_KEYWORDS):
                first = ";" if child.start_byte == node.start_byte and self._needs_semicolon(node) else ""
                self.edits.append(_Edit(child.start_byte, child.end_byte, first=first))
            elif not child.is_named and child.type in ("?", "!"):
                self._blank(child)
            else:
                visit.append(child)
        return visit

    # -- functions -----------------------------------------------------------------------------

    def _function(self, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        visit: list[tree_sitter.Node] = []
        if node.type == "method_definition":
            visit = self._member(node)
        else:
            visit = list(node.children)
        parameters = node.child_by_field_name("parameters")
        type_parameters = node.child_by_field_name("type_parameters")
        if type_parameters is not None and parameters is not None:
            moved = self._spans_lines(type_parameters.start_byte, parameters.start_byte)
            self.edits.append(_Edit(type_parameters.start_byte, type_parameters.end_byte, first="(" if moved else ""))
            if moved:
                self.edits.append(_Edit(parameters.start_byte, parameters.start_byte + 1))
        return_type = node.child_by_field_name("return_type")
        if return_type is not None and parameters is not None:
            arrow = next((child for child in node.children if child.type == "=>"), None)
            if arrow is not None and self._spans_lines(parameters.end_byte, arrow.start_byte):
                self.edits.append(_Edit(parameters.end_byte - 1, return_type.end_byte, last=")"))
            else:
                self._blank(return_type)
        skipped = {type_parameters, return_type}
        return [child for child in visit if child not in skipped]

    def _parameter(self, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        modifier = next((child for child in node.children if child.type in PARAMETER_MODIFIERS), None)
        if modifier is not None:
            raise self._unsupported(modifier, "parameter properties (`constructor(private x: T)`) are not supported: "
                                              "declare the field in the class (`x: T;`) and assign it in the constructor (`this.x = x;`)")
        pattern = node.child_by_field_name("pattern")
        if pattern is not None and pattern.type == "this":
            self._blank(node, with_comma=True)  # `this: T`, a type for `this` only
            return []
        visit: list[tree_sitter.Node] = []
        for child in node.children:
            if not child.is_named and child.type == "?":
                self._blank(child)
            else:
                visit.append(child)
        return visit

    # -- expressions ---------------------------------------------------------------------------

    def _assertion(self, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        """`value as T`, `value satisfies T`: the value stays."""
        value = node.named_children[0] if node.named_child_count else None
        if value is None:
            return []
        called_on_next_line = self._called_on_next_line(node, value)
        if self._continued(node) and not called_on_next_line:
            raise self._unsupported(node, "end the statement after this `as`/`satisfies` with `;`: without one, the next line "
                                          "(starting with `(`, `[` or `.`) would continue it once the type is removed")
        if self._regroups(node):
            raise self._unsupported(node, "removing this `as`/`satisfies` would change how the operators around it group: "
                                          "put the expression before it in parentheses, `(a + b) as T`")
        first = ";" if called_on_next_line or self._ends_statement(node) else ""
        self.edits.append(_Edit(value.end_byte, node.end_byte, first=first))
        return [value]

    def _called_on_next_line(self, node: tree_sitter.Node, value: tree_sitter.Node) -> bool:
        """Whether the grammar took a next line that starts with `(` for a call of `value as T`,
        where TypeScript ends the statement (the `;` that goes in keeps it ended)."""
        parent, after = node.parent, node.next_sibling
        return (parent is not None and parent.type == "call_expression" and parent.children[0] == node and after is not None
                and self._spans_lines(node.end_byte, after.start_byte) and not self._spans_lines(value.end_byte, node.end_byte))

    def _continued(self, node: tree_sitter.Node) -> bool:
        """Whether `value as T` is called, indexed or has a member read without parentheses: the
        grammar reads a next line that starts with `(` or `[` that way, TypeScript as a new statement."""
        parent = node.parent
        return parent is not None and parent.type in CONTINUING_EXPRESSIONS and parent.children[0] == node

    def _regroups(self, node: tree_sitter.Node) -> bool:
        inner = node.named_children[0]
        while inner.type in ("as_expression", "satisfies_expression") and inner.named_child_count:
            inner = inner.named_children[0]
        parent = node.parent
        if inner.type != "binary_expression" or parent is None or parent.type != "binary_expression":
            return False
        if parent.child_by_field_name("left") != node:
            return False
        inner_operator = _operator(inner)
        outer_operator = _operator(parent)
        inner_rank, outer_rank = PRECEDENCE.get(inner_operator, 0), PRECEDENCE.get(outer_operator, 0)
        if outer_rank > inner_rank or (outer_rank == inner_rank and "**" in (inner_operator, outer_operator)):
            return True
        return "??" in (inner_operator, outer_operator) and inner_operator != outer_operator

    def _ends_statement(self, node: tree_sitter.Node) -> bool:
        """Whether `node` ends a statement that has no `;` of its own."""
        statement = node
        while statement.parent is not None and statement.parent.type not in STATEMENT_LISTS:
            statement = statement.parent
        return statement.parent is not None and statement.end_byte == node.end_byte

    def _non_null(self, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        """`value!`: the `!` goes."""
        bang = node.children[-1] if node.children else None
        if bang is not None and bang.type == "!":
            self._blank(bang)
        return [child for child in node.children if child is not bang]

    def _declarator(self, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        """`let x!: T`: the definite-assignment `!` goes (the type is a `type_annotation`)."""
        visit: list[tree_sitter.Node] = []
        for child in node.children:
            if not child.is_named and child.type == "!":
                self._blank(child)
            else:
                visit.append(child)
        return visit

    def _spans_lines(self, start: int, end: int) -> bool:
        return _LINE_BREAK.search(self.source[start:end].decode("utf-8", "surrogatepass")) is not None


def _operator(node: tree_sitter.Node) -> str:
    operator = node.child_by_field_name("operator")
    return (operator.text or b"").decode() if operator is not None else ""


def _holds_values(body: tree_sitter.Node) -> bool:
    """Whether a namespace's body declares anything that exists at run time."""
    for statement in body.named_children:
        kind = statement.type
        if kind == "export_statement":
            declaration = statement.child_by_field_name("declaration")
            if declaration is None:
                return True
            kind, statement = declaration.type, declaration
        if kind in ("interface_declaration", "type_alias_declaration", "ambient_declaration", "comment"):
            continue
        if kind == "expression_statement" and statement.named_child_count and statement.named_children[0].type == "internal_module":
            statement = statement.named_children[0]
            kind = statement.type
        if kind in ("internal_module", "module"):
            inner = statement.child_by_field_name("body")
            if inner is not None and _holds_values(inner):
                return True
            continue
        return True
    return False


_HANDLERS: dict[str, Callable[[_Eraser, tree_sitter.Node], list[tree_sitter.Node]]] = {
    "import_statement": _Eraser._import,
    "import_alias": _Eraser._import_alias,
    "export_statement": _Eraser._export,
    "expression_statement": _Eraser._expression_statement,
    "internal_module": _Eraser._namespace,
    "module": _Eraser._namespace,
    "enum_declaration": _Eraser._enum,
    "type_assertion": _Eraser._type_assertion,
    "class_declaration": _Eraser._class,
    "class": _Eraser._class,
    "abstract_class_declaration": _Eraser._class,
    "public_field_definition": _Eraser._field,
    "required_parameter": _Eraser._parameter,
    "optional_parameter": _Eraser._parameter,
    "as_expression": _Eraser._assertion,
    "satisfies_expression": _Eraser._assertion,
    "non_null_expression": _Eraser._non_null,
    "variable_declarator": _Eraser._declarator,
}
"""What to do at each kind of node that holds type syntax among JavaScript (the rest is walked)."""

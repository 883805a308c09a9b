"""Tools: the function definitions an example declares (``tools``, legacy ``functions``) and the calls it makes.

Definitions are counted with the cookbook's ``num_tokens_for_tools`` rule (constants in
:mod:`lib.validate_tokens`) and remembered by content, since most files repeat one tool list.
A call must name a defined function and carry its arguments as a JSON-encoded object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from lib.validate.codes import ASSISTANT, OTHER
from lib.display import join_words
from lib.validate.messages import quote, type_name

if TYPE_CHECKING:  # pragma: no cover
    from lib.validate.scanner import Example


class ToolChecks:
    """The tool checks of :class:`lib.validate.scanner.Scanner` (a mixin)."""

    def _tools(self, container: dict, ex: Example, prefix: str) -> None:
        """Check and count top-level ``tools`` / ``functions`` / ``parallel_tool_calls`` (cached by content)."""
        tools = container.get("tools")
        functions = container.get("functions")
        parallel = container.get("parallel_tool_calls")
        if tools is None and functions is None and parallel is None:
            return
        try:
            key = orjson.dumps([tools, functions, parallel])
        except (TypeError, orjson.JSONEncodeError):  # pragma: no cover - parsed JSON always re-encodes
            key = None
        cached = self.tools_cache.get(key) if key is not None else None
        if cached is None:
            cached = self._check_tools(tools, functions, parallel, prefix)
            if key is not None and len(self.tools_cache) < 256:
                self.tools_cache[key] = cached
        problems, const, strings, names = cached
        ex.tool_names = names
        for code, message in problems:
            self._add(ex.ln, code, message, ex.findings)
        ex.const += const
        for text, where in strings:
            self._text(ex, text, OTHER, where)

    def _check_tools(self, tools, functions, parallel, prefix: str) -> tuple:
        """(problems, constant tokens, strings to count, defined names or None) of one set of definitions."""
        problems: list[tuple[str, str]] = []
        strings: list[tuple[str, str]] = []
        if parallel is not None and type(parallel) is not bool:
            problems.append(("invalid_tools", f'{prefix}"parallel_tool_calls" must be true or false'))
        definitions = _definitions(tools, functions, prefix, problems)
        const = sum(
            _definition_tokens(where, function, self.tool_constants, problems, strings)
            for where, function in definitions
        )
        if definitions:
            const += self.tool_constants["func_end"]
        names = frozenset(f.get("name") for _, f in definitions if type(f.get("name")) is str)
        return problems, const, strings, names if definitions else None

    def _arguments(self, args, where: str, ex: Example, count: bool) -> None:
        ln, out = ex.ln, ex.findings
        if type(args) is not str:
            self._add(
                ln, "invalid_tool_call",
                f'{where} "arguments" is {type_name(args)}; it must be a JSON-encoded string such as '
                '"{\\"city\\": \\"Paris\\"}"',
                out,
            )  # fmt: skip
            return
        try:
            decoded = orjson.loads(args)
        except orjson.JSONDecodeError:
            self._add(ln, "invalid_tool_call", f'{where} "arguments" is not valid JSON: {quote(args, 60)}', out)
        else:
            if type(decoded) is str:
                self._add(
                    ln, "invalid_tool_call",
                    f'{where} "arguments" is JSON-encoded twice (a JSON string holding {quote(decoded, 50)}); '
                    "it must encode an object once",
                    out,
                )  # fmt: skip
            elif type(decoded) is not dict:
                self._add(
                    ln, "invalid_tool_call",
                    f'{where} "arguments" encodes {type_name(decoded)}; it must encode a JSON object', out,
                )  # fmt: skip
        self._text(ex, args, ASSISTANT if ex.kind_override is None else ex.kind_override, f"{where} arguments", count)

    def _tool_calls(self, calls, where: str, ex: Example, count: bool) -> None:
        ln, out = ex.ln, ex.findings
        if type(calls) is not list or not calls:
            self._add(ln, "invalid_tool_call", f'{where} "tool_calls" must be a non-empty list of calls', out)
            return
        if ex.call_ids is None:
            ex.call_ids = set()
        for k, call in enumerate(calls, 1):
            call_where = f"{where} tool call {k}"
            if type(call) is not dict:
                self._add(ln, "invalid_tool_call", f"{call_where} is {type_name(call)}, not an object", out)
                continue
            call_id = call.get("id")
            if type(call_id) is not str or not call_id:
                self._add(ln, "invalid_tool_call", f'{call_where} has no "id" string', out)
            else:
                ex.call_ids.add(call_id)
                self._text(ex, call_id, OTHER, f"{call_where} id", count)
            if call.get("type") != "function":
                why = f'{call_where} has type {quote(call.get("type"))}; expected "function"'
                self._add(ln, "invalid_tool_call", why, out)
            function = call.get("function")
            if type(function) is not dict:
                self._add(ln, "invalid_tool_call", f'{call_where} has no "function" object', out)
                continue
            self._called_function(function, call_where, 'function "name"', ex, count)

    def _function_call(self, call, where: str, ex: Example, count: bool) -> None:
        ln, out = ex.ln, ex.findings
        if type(call) is not dict:
            self._add(ln, "invalid_tool_call", f'{where} "function_call" is {type_name(call)}, not an object', out)
            return
        self._called_function(call, f"{where} function_call", '"name"', ex, count)

    def _called_function(self, function: dict, call_where: str, name_field: str, ex: Example, count: bool) -> None:
        """The name (counted, and checked against the functions the example defines) and the arguments of one
        called function; a missing name is reported as "``call_where`` has no ``name_field``"."""
        name = function.get("name")
        if type(name) is not str or not name:
            self._add(ex.ln, "invalid_tool_call", f"{call_where} has no {name_field}", ex.findings)
        else:
            kind = ASSISTANT if ex.kind_override is None else ex.kind_override
            self._text(ex, name, kind, f"{call_where} name", count)
            self._check_defined(name, call_where, ex)
        self._arguments(function.get("arguments"), call_where, ex, count)

    def _check_defined(self, name: str, where: str, ex: Example) -> None:
        if ex.tool_names is not None and name not in ex.tool_names:
            self._add(
                ex.ln, "undefined_tool",
                f"{where} calls {quote(name)}, which is not among the functions this example defines "
                f"({join_words(sorted(quote(n) for n in ex.tool_names)[:8], 'and') if ex.tool_names else 'none'})",
                ex.findings,
            )  # fmt: skip


def _definitions(tools, functions, prefix: str, problems: list) -> list[tuple[str, dict]]:
    """(where, function definition) of every well-formed entry of ``tools`` and ``functions``."""
    definitions = []
    if tools is not None:
        if type(tools) is not list:
            problems.append(("invalid_tools", f'{prefix}"tools" is {type_name(tools)}; expected a list'))
        else:
            for k, tool in enumerate(tools, 1):
                if type(tool) is not dict or tool.get("type") != "function" or type(tool.get("function")) is not dict:
                    problems.append((
                        "invalid_tools",
                        f'{prefix}tool {k} must be {{"type": "function", "function": {{"name": ..., '
                        '"parameters": ...}}',
                    ))  # fmt: skip
                    continue
                definitions.append((f"{prefix}tool {k}", tool["function"]))
    if functions is not None:
        if type(functions) is not list or not functions:
            problems.append(("invalid_tools", f'{prefix}"functions" must be a non-empty list'))
        else:
            if len(functions) > 128:
                problems.append(("invalid_tools", f'{prefix}"functions" has {len(functions)} entries; at most 128'))
            for k, function in enumerate(functions, 1):
                if type(function) is not dict:
                    problems.append(("invalid_tools", f"{prefix}function {k} is {type_name(function)}, not an object"))
                    continue
                definitions.append((f"{prefix}function {k}", function))
    return definitions


def _valid_function_name(name) -> bool:
    if type(name) is not str or not 0 < len(name) <= 64:
        return False
    return all(ch.isascii() and (ch.isalnum() or ch in "_-") for ch in name)


def _definition_tokens(where: str, function: dict, c: dict, problems: list, strings: list) -> int:
    """Check one function definition; queue its strings and return its constant tokens (the cookbook rule)."""
    name = function.get("name")
    if not _valid_function_name(name):
        problems.append((
            "invalid_tools",
            f"{where} has name {quote(name)}; a function name is 1-64 letters, digits, _ or -",
        ))  # fmt: skip
        name = name if type(name) is str else ""
    description = function.get("description", "")
    if type(description) is not str:
        problems.append(("invalid_tools", f'{where} "description" must be a string'))
        description = ""
    parameters = function.get("parameters")
    if parameters is not None and type(parameters) is not dict:
        problems.append(("invalid_tools", f'{where} "parameters" must be a JSON Schema object'))
        parameters = None
    const = c["func_init"]
    strings.append((f"{name}:{description.removesuffix('.')}", where))
    properties = parameters.get("properties") if parameters else None
    if type(properties) is not dict or not properties:
        return const
    const += c["prop_init"]
    for prop_key, prop in properties.items():
        const += c["prop_key"]
        prop = prop if type(prop) is dict else {}
        prop_type = prop.get("type", "")
        prop_type = prop_type if type(prop_type) is str else orjson.dumps(prop_type).decode()
        prop_desc = prop.get("description", "")
        prop_desc = prop_desc if type(prop_desc) is str else ""
        enum = prop.get("enum")
        if type(enum) is list:
            const += c["enum_init"]
            for item in enum:
                const += c["enum_item"]
                strings.append((item if type(item) is str else orjson.dumps(item).decode(), where))
        strings.append((f"{prop_key}:{prop_type}:{prop_desc.removesuffix('.')}", where))
    return const

"""The directory file as text, for error messages that point at the mistake:
the line a key path such as ``categories[3].attributes[0].datatype`` is on,
the key path a syntax error's line is in, and ``msgspec``'s and ``tomllib``'s
complaints in plain words. ``loader`` checks the file on top of it.
"""

from __future__ import annotations

import re
from typing import NoReturn, TypeVar

import msgspec

from ihanoi_core.errors import DirectoryError

_S = TypeVar("_S")

_MSGSPEC_ERROR = re.compile(r"(?s)(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?")
_TYPE_NAMES = {
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "bool": "true or false",
    "array": "a list",
    "object": "a table",
    "date": "a date (YYYY-MM-DD)",
    "datetime": "a date and time",
    "time": "a time",
    "null": "nothing",
}
_TOML_POSITION = re.compile(r"\s*\(at line (?P<line>\d+), column (?P<column>\d+)\)$")
_HEADER = re.compile(r"\s*(?P<open>\[\[?)\s*(?P<name>[A-Za-z0-9_.\- ]+?)\s*\]\]?\s*(?:#.*)?")
_SEGMENT = re.compile(r"(?P<name>[A-Za-z0-9_\-]+)(?:\[(?P<index>\d+)\])?")


def _type_names(spec: str) -> str:
    return " or ".join(_TYPE_NAMES.get(part, part) for part in spec.split(" | "))


def _plain_problem(message: str, path: str) -> tuple[str, str]:
    """Turn a msgspec message and path into (key path, plain-English problem)."""
    key = path.lstrip(".")
    if m := re.fullmatch(r"Object contains unknown field `(.+)`", message):
        return f"{key}.{m[1]}".lstrip("."), "unknown key (check its spelling and the table it is in)"
    if m := re.fullmatch(r"Object missing required field `(.+)`", message):
        return f"{key}.{m[1]}".lstrip("."), "is required but missing"
    if m := re.fullmatch(r"Expected `(.+?)` of length (\d+), got (\d+)", message):
        return key, f"expected {_type_names(m[1])} of {m[2]} items, got {m[3]}"
    if m := re.fullmatch(r"Expected `(.+?)`, got `(.+?)`", message):
        return key, f"expected {_type_names(m[1])}, got {_type_names(m[2])}"
    return key, message[:1].lower() + message[1:]


class DirectoryText:
    """One load of one file: keeps the text to find lines for error keys."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.lines = text.splitlines()

    def fail(self, key: str, problem: str) -> NoReturn:
        raise DirectoryError(self.source, key, problem, self.line_of(key))

    def non_blank(self, key: str, value: str) -> str:
        if not value.strip():
            self.fail(key, "must not be empty")
        return value

    def convert(self, data: object, schema: type[_S], prefix: str = "") -> _S:
        try:
            return msgspec.convert(data, schema)
        except msgspec.ValidationError as exc:
            m = _MSGSPEC_ERROR.fullmatch(str(exc))
            assert m is not None  # the pattern matches any string
            key, problem = _plain_problem(m["message"], m["path"] or "")
            self.fail(f"{prefix}.{key}".strip(".") or "(top level)", problem)

    # -- syntax and lines ------------------------------------------------------

    def fail_syntax(self, message: str) -> NoReturn:
        position = _TOML_POSITION.search(message)
        line = int(position["line"]) if position else None
        problem = f"invalid TOML: {_TOML_POSITION.sub('', message)}"
        if position:
            problem += f" (column {position['column']})"
        elif message.endswith("(at end of document)") and self.lines:
            # An unclosed array or string: tomllib gives no line, the last one is the best guess.
            line = len(self.lines)
        raise DirectoryError(self.source, self.key_at_line(line), problem, line)

    def headers(self) -> list[tuple[int, bool, str]]:
        """(line index, is an array of tables, dotted name) of every table header."""
        found = []
        for index, text in enumerate(self.lines):
            if m := _HEADER.fullmatch(text):
                name = ".".join(part.strip() for part in m["name"].split("."))
                found.append((index, m["open"] == "[[", name))
        return found

    def key_at_line(self, line: int | None) -> str:
        """The key path a syntax error at this line is in, from the headers above."""
        if line is None:
            return "(top level)"
        resolved: dict[str, str] = {}
        counts: dict[str, int] = {}
        path = ""
        for index, is_array, name in self.headers():
            if index >= line - 1:
                break
            parent, _, leaf = name.rpartition(".")
            full = f"{resolved.get(parent, parent)}.{leaf}" if parent else leaf
            if is_array:
                counts[full] = counts.get(full, 0) + 1
                path = f"{full}[{counts[full] - 1}]"
            else:
                path = full
            resolved[name] = path
        if line <= len(self.lines) and (m := re.match(r"\s*([A-Za-z0-9_\-]+)\s*=", self.lines[line - 1])):
            path = f"{path}.{m[1]}" if path else m[1]
        return path or "(top level)"

    def line_of(self, key: str) -> int | None:
        """Best-effort line (1-based) of a key path such as
        ``categories[3].attributes[0].datatype``: walk the table headers, then
        look for ``name =`` in the innermost table. None when not found."""
        headers = self.headers()
        table, start, end, found = "", 0, len(self.lines), None
        for m in _SEGMENT.finditer(key):
            name, index = m["name"], int(m["index"]) if m["index"] else 0
            full = f"{table}.{name}" if table else name
            matches = [h for h in headers if start <= h[0] < end and h[2] == full]
            if matches:
                if index >= len(matches):
                    break
                found = matches[index][0]
                start = found + 1
                end = next((h[0] for h in headers if h[0] > found and not h[2].startswith(full + ".")), end)
                table = full
                continue
            block_end = next((h[0] for h in headers if h[0] >= start), end)
            assignment = re.compile(rf"\s*\"?{re.escape(name)}\"?\s*=")
            found = next((i for i in range(start, min(block_end, end)) if assignment.match(self.lines[i])), found)
            break
        return found + 1 if found is not None else None

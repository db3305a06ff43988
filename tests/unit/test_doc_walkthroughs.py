"""The walk-throughs in ``README.md`` and ``docs/`` say what the server and the CLI take.

Every ``sh`` block is shell one can paste: it parses as bash and runs only
known programs, so answers shown in it are comments. Every ``ihanoi`` command
in it is one the CLI's parser accepts. Every ``curl`` in it against ``$API``
names a route of the OpenAPI document with the method it answers, and sends
what that route reads: the media type curl will send (its ``Content-Type``
header, else ``application/x-www-form-urlencoded`` for ``-d`` and
``multipart/form-data`` for ``-F``) is one the route accepts, and a literal
JSON body is one its request schema accepts. A token the doc made with
``ihanoi token --role R`` is one of the roles the route lists (``x-roles``),
and every query parameter is one the route declares. Placeholders in a body ("…",
"<64 hex>") only excuse the value they stand in; an unknown or missing field,
or a wrong type, is still an error. A walk-through that sent a JSON body
without its ``Content-Type`` got 415 from every POST. Every variable a block
reads is set earlier in its doc, so the doc runs as pasted; the docs that do
not yet are listed with their gaps, and the list may only shrink.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import bashlex  # type: ignore[import-untyped]
import pytest
from openapi_schema_validator import OAS31Validator

from ihanoi_core.domain.values import Role
from ihanoi_server.app import all_routes
from ihanoi_server.cli.main import build_parser
from ihanoi_server.openapi.document import openapi_document

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
WALK_THROUGHS = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
# Where `make serve` listens, which every walk-through's $API names.
SERVER = "http://127.0.0.1:8000"
# The listeners a walk-through may call that are not the API: the metrics port of a worker.
OTHER_LISTENERS = ("127.0.0.1:9465/",)
# What the walk-throughs run; anything else in a block is an answer left uncommented.
PROGRAMS = {
    "curl", ".venv/bin/ihanoi", "make", "export", "jq", "python3", "openssl", "sha256sum", "printf",
    "echo", "date", "cut", "sed", "grep", "tee", "tail", "timeout", "kill", "sleep", ".venv/bin/python",
}  # fmt: skip
# curl's options that take a value, as the walk-throughs use them.
WITH_VALUE = {
    "-H", "--header", "-o", "-w", "-u", "-b", "-c", "-m", "--max-time", "-e", "--cookie", "--cookie-jar",
    "--data-urlencode",  # with -G: a query parameter, percent-encoded
}  # fmt: skip
BEARER = "Authorization: Bearer $"
# The roles an x-roles entry names ("citizen (own)", "complaint: officer, leader").
ROLE_NAMES = re.compile(r"\b(" + "|".join(role.value for role in Role) + r")\b")
DATA = {"-d", "--data", "--data-binary", "--data-raw"}
FORM = {"-F", "--form"}


@dataclass
class Curl:
    where: str
    method: str | None = None
    url: str = ""
    headers: list[str] = field(default_factory=list)
    data: str | None = None
    form: bool = False
    head: bool = False
    refused: int | None = None  # the 4xx the answer shown after it says
    role: str | None = None  # of its bearer token, when the doc made it with `ihanoi token`

    def media_type(self) -> str | None:
        for header in self.headers:
            name, _, value = header.partition(":")
            if name.strip().lower() == "content-type":
                return value.split(";")[0].strip().lower()
        if self.form:
            return "multipart/form-data"
        return "application/x-www-form-urlencoded" if self.data is not None else None


class Commands(bashlex.ast.nodevisitor):  # type: ignore[misc]
    """Every simple command of a parsed block, with where it starts."""

    def __init__(self) -> None:
        self.found: list[tuple[int, Any]] = []

    def visitcommand(self, node: Any, parts: list[Any]) -> None:
        self.found.append((node.pos[0], node))


def sh_blocks(text: str) -> Iterator[tuple[int, str]]:
    for match in SH_BLOCK.finditer(text):
        yield text.count("\n", 0, match.start(1)) + 1, match.group(1)


@dataclass
class Command:
    """A simple command of a walk-through: its words (quotes removed, nothing
    expanded), its variable assignments, and the comments after it up to the
    next command (the answer the doc shows)."""

    where: str
    words: list[str]
    assignments: list[str]
    answer: str


def commands(doc: Path) -> Iterator[Command]:
    """Each command of ``doc``'s sh blocks, in order, those in ``$(…)`` included."""
    text = doc.read_text(encoding="utf-8")
    name = doc.relative_to(ROOT)
    for first_line, block in sh_blocks(text):
        try:
            trees = bashlex.parse(block)
        except bashlex.errors.ParsingError as error:
            line = first_line + block.count("\n", 0, error.position)
            raise AssertionError(f"{name}:{line}: not shell ({error.message})") from None
        visitor = Commands()
        for tree in trees:
            visitor.visit(tree)
        found = sorted(visitor.found, key=lambda item: item[0])
        for index, (start, node) in enumerate(found):
            where = f"{name}:{first_line + block.count(chr(10), 0, start)}"
            answer = block[node.pos[1] : found[index + 1][0] if index + 1 < len(found) else len(block)]
            words = [part.word for part in node.parts if part.kind == "word"]
            assert not words or words[0] in PROGRAMS, f"{where}: {words[0][:40]} is not a command"
            assignments = [part.word for part in node.parts if part.kind == "assignment"]
            yield Command(where, words, assignments, answer)


def curls(doc: Path) -> Iterator[tuple[Curl, str]]:
    """Each curl of ``doc``'s sh blocks, with the path of the ``API`` the doc set before it."""
    api = ""
    roles: dict[str, str] = {}  # token variable -> role
    for command in commands(doc):
        exported = command.words[1:] if command.words[:1] == ["export"] else []
        for assignment in [*command.assignments, *exported]:
            if assignment.startswith("API="):
                api = re.sub(r"^https?://[^/]+", "", assignment.removeprefix("API="))
            if token := re.match(r"(\w+)=\$\((?:\.venv/bin/)?ihanoi token .*--role (\w+)", assignment):
                roles[token.group(1)] = token.group(2)
        if command.words and command.words[0] == "curl":
            curl = parse_curl(command.where, command.words[1:])
            bearer = [header.removeprefix(BEARER) for header in curl.headers if header.startswith(BEARER)]
            curl.role = roles.get(bearer[0]) if bearer else None
            if refused := re.search(r"^\s*#.*?(?:\"status\":|# )(4\d\d)\b", command.answer, re.M):
                curl.refused = int(refused.group(1))
            yield curl, api


def parse_curl(where: str, words: list[str]) -> Curl:
    curl = Curl(where)
    options = iter(words)
    for word in options:
        if word in ("-X", "--request"):
            curl.method = next(options)
        elif word in ("-H", "--header"):
            curl.headers.append(next(options))
        elif word in DATA:
            curl.data = next(options)
        elif word in FORM:
            next(options)
            curl.form = True
        elif word in WITH_VALUE:
            next(options)
        elif word in ("-I", "--head") or (word.startswith("-") and not word.startswith("--") and "I" in word):
            curl.head = True
        elif not word.startswith("-") and word not in ("...", "…"):  # "...": options left out
            curl.url = word
    return curl


def all_curls() -> list[tuple[Curl, str]]:
    return [found for doc in WALK_THROUGHS for found in curls(doc)]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document(all_routes())


def operation(document: dict[str, Any], curl: Curl, api: str) -> tuple[str, dict[str, Any]] | None:
    """The OpenAPI path and operation ``curl`` calls; None for a listener other than the API."""
    url = curl.url
    if any(url.startswith(other) or f"//{other}" in url for other in OTHER_LISTENERS):
        return None
    if url.startswith("$API"):
        path = (api + url.removeprefix("$API")).split("?")[0]
    else:
        assert url.startswith(SERVER), f"{curl.where}: {url} is neither under $API nor {SERVER}"
        path = url.removeprefix(SERVER).split("?")[0]
    method = (curl.method or ("HEAD" if curl.head else "POST" if curl.data is not None or curl.form else "GET")).lower()
    # Literal paths first: /business-inquiries/answer-rates is not /business-inquiries/{id}.
    for template, operations in sorted(document["paths"].items(), key=lambda item: item[0].count("{")):
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            wanted = "get" if method == "head" else method
            assert wanted in operations, f"{curl.where}: {method.upper()} {template} is not a route"
            return template, operations[wanted]
    raise AssertionError(f"{curl.where}: no route has the path {path}")


def test_every_walk_through_block_is_shell_and_calls_the_api_many_times() -> None:
    found = all_curls()  # bashlex raises on a block that is not shell
    under_api = [curl for curl, _ in found if curl.url.startswith(("$API", SERVER))]
    assert len(under_api) >= 150, "the walk-throughs were not read"


def placeholder(value: object) -> bool:
    return isinstance(value, str) and ("…" in value or re.search(r"<[^>]+>", value) is not None)


def test_every_curl_names_a_route_and_sends_what_it_reads(document: dict[str, Any]) -> None:
    problems = []
    components = {"components": document["components"]}
    for curl, api in all_curls():
        try:
            found = operation(document, curl, api)
        except AssertionError as error:
            problems.append(str(error))
            continue
        if found is None:
            continue
        template, op = found
        allowed = set(ROLE_NAMES.findall(" ".join(op.get("x-roles", []))))
        if curl.role is not None and allowed and curl.role not in allowed and curl.refused not in (401, 403, 404):
            problems.append(f"{curl.where}: {template} is for {sorted(allowed)}, not a {curl.role}")
        query = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
        asked = {name for name, _ in parse_qsl(curl.url.partition("?")[2], keep_blank_values=True)}
        if unknown := asked - query:
            problems.append(f"{curl.where}: {template} takes no {sorted(unknown)} (it takes {sorted(query)})")
        accepted = op.get("requestBody", {}).get("content", {})
        media_type = curl.media_type()
        if media_type is None or not accepted:
            continue
        if media_type not in accepted:
            if curl.refused != 415:
                problems.append(f"{curl.where}: {template} reads {sorted(accepted)}, curl sends {media_type}")
            continue
        if curl.refused == 415:
            problems.append(f"{curl.where}: {template} reads {media_type}: the 415 shown cannot happen")
        if media_type != "application/json" or curl.data is None or "$" in curl.data:
            continue
        body = json.loads(curl.data)
        validator = OAS31Validator({**accepted[media_type]["schema"], **components})
        errors = [error for error in validator.iter_errors(body) if not placeholder(error.instance)]
        if errors and curl.refused != 422:
            problems += [f"{curl.where}: {template}: {e.message} at {list(e.absolute_path)}" for e in errors]
    assert not problems, "\n".join(problems)


def test_every_ihanoi_command_of_the_walk_throughs_is_one_the_cli_takes(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    problems = []
    checked = 0
    for doc in WALK_THROUGHS:
        for command in commands(doc):
            if not command.words or command.words[0] not in ("ihanoi", ".venv/bin/ihanoi"):
                continue
            checked += 1
            try:
                parser.parse_args(command.words[1:])
            except SystemExit:
                problems.append(f"{command.where}: {' '.join(command.words)}: {capsys.readouterr().err.strip()}")
    assert not problems, "\n".join(problems)
    assert checked >= 40, "the walk-throughs' ihanoi commands were not read"


class Variables(bashlex.ast.nodevisitor):  # type: ignore[misc]
    """The variables a parsed block sets and reads, each with where: a
    variable is set where its assignment ends (``X=$(… $X …)`` reads the old one)."""

    def __init__(self) -> None:
        self.events: list[tuple[int, str, str]] = []  # (position, "set" or "read", name)

    def visitassignment(self, node: Any, parts: list[Any]) -> None:
        self.events.append((node.pos[1], "set", node.word.split("=", 1)[0]))

    def visitparameter(self, node: Any, value: str) -> None:
        self.events.append((node.pos[0], "read", value))

    def visitcommand(self, node: Any, parts: list[Any]) -> None:
        words = [part for part in parts if part.kind == "word"]
        if words and words[0].word in ("export", "read"):
            for word in words[1:]:
                if not word.word.startswith("-"):
                    self.events.append((word.pos[1], "set", word.word.split("=", 1)[0]))

    def visitfor(self, node: Any, parts: list[Any]) -> None:
        self.events.append((parts[1].pos[1], "set", parts[1].word))


# What the shell sets itself: the last exit status, the positional parameters and the like.
SHELL_SET = {"?", "#", "$", "!", "@", "*", "-", *map(str, range(10))}


def unset_variables(doc: Path) -> set[str]:
    """The variables ``doc``'s sh blocks read before any of them sets it
    (``IHANOI_*``: the server's own settings, which the doc says to export)."""
    known: set[str] = set()
    unset: set[str] = set()
    for _, block in sh_blocks(doc.read_text(encoding="utf-8")):
        visitor = Variables()
        for tree in bashlex.parse(block):
            visitor.visit(tree)
        for _, what, name in sorted(visitor.events):
            if what == "set":
                known.add(name)
            elif name not in known and not name.startswith("IHANOI_") and name not in SHELL_SET:
                unset.add(name)
    return unset


def test_every_variable_a_walk_through_reads_is_set_before_it() -> None:
    # Else the walk-through does not run as pasted: a snippet ahead of the
    # tokens it uses, an id the reader is left to copy.
    found = {str(doc.relative_to(ROOT)): unset for doc in WALK_THROUGHS if (unset := unset_variables(doc))}
    assert found == {}


# A case or request named by what one run answered: another run's are other ones.
COPIED_ID = re.compile(r"\b[A-Z]{2}-\d{6}-\d{6}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
# The code the docs use for a case that does not exist (the 404 examples).
NO_SUCH_CASE = "PA-000000-000000"


def test_no_walk_through_command_names_a_case_by_an_id_copied_from_one_run() -> None:
    copied = [
        f"{command.where}: {found}"
        for doc in WALK_THROUGHS
        for command in commands(doc)
        for word in [*command.words, *command.assignments]
        for found in COPIED_ID.findall(word)
        if found != NO_SUCH_CASE
    ]
    assert not copied, "\n".join(copied)


def test_the_variable_check_sees_a_variable_read_before_it_is_set(tmp_path: Path) -> None:
    doc = tmp_path / "walk.md"
    doc.write_text(
        "```sh\nexport A=1\nB=$(curl -s $A/$B | jq -r .id)\nfor N in 1; do echo $N $C; done\n```\n"
        "```sh\ncurl -s $B/$D\nD=2\n```\n"
    )
    assert unset_variables(doc) == {"B", "C", "D"}

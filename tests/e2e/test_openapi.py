"""``/openapi.json`` describes the real server's API as valid OpenAPI 3.1: every
route, every command's body, roles and valid states, and shapes that match
what the server really answers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
import pytest
from openapi_schema_validator import validate as validate_instance
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from starlette.routing import BaseRoute, Mount, Route

from ihanoi_core.commands.command import CaseCommand, summary_of
from ihanoi_core.commands.grievances import FileComplaint, GrievanceCommand
from ihanoi_core.commands.service_requests import DossierCommand, SubmitDossier
from ihanoi_core.domain.values import Role
from ihanoi_server.api.commands import documented_roles, documented_states, family_commands
from ihanoi_server.app import all_routes
from tests.conftest import LOOPBACK_TLS
from tests.e2e.conftest import LiveServer

PROBLEM_STATUSES = {"400", "401", "403", "404", "409", "412", "413", "415", "422"}


@pytest.fixture(scope="module")
def document(sqlite_server: LiveServer) -> dict[str, Any]:
    with sqlite_server.client() as anonymous:  # no token needed
        response = anonymous.get("/openapi.json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


def routes_of(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str, Route]]:
    for route in routes:
        if isinstance(route, Mount):
            yield from routes_of(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                yield re.sub(r"\{(\w+)(?::\w+)?\}", r"{\1}", prefix + route.path), method.lower(), route


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        found: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            found = found[part]
        node = found
    return node


def matches(document: dict[str, Any], instance: Any, schema: dict[str, Any]) -> None:
    validate_instance(instance, {**schema, "components": document["components"]})


def test_the_document_goes_compressed_to_a_client_that_takes_gzip(sqlite_server: LiveServer) -> None:
    with httpx.Client(base_url=sqlite_server.base_url, verify=LOOPBACK_TLS) as anyone:
        compressed = anyone.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
        whole = anyone.get("/openapi.json", headers={"Accept-Encoding": "identity"})
    assert compressed.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in whole.headers
    assert compressed.headers["vary"] == whole.headers["vary"] == "Accept-Encoding"
    assert compressed.json() == whole.json()  # httpx undoes the gzip
    assert int(compressed.headers["content-length"]) * 5 < int(whole.headers["content-length"])


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document, cls=OpenAPIV31SpecValidator)
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearer"]["bearerFormat"] == "JWT"


def test_every_route_of_the_app_appears_with_its_path_parameters(document: dict[str, Any]) -> None:
    expected = {(path, method) for path, method, _ in routes_of(all_routes())}
    described = {(path, method) for path, operations in document["paths"].items() for method in operations}
    assert described == expected
    for path, method, _ in routes_of(all_routes()):
        parameters = document["paths"][path][method].get("parameters", [])
        path_parameters = {p["name"] for p in parameters if p["in"] == "path"}
        assert path_parameters == set(re.findall(r"\{(\w+)\}", path)), path


def test_every_complaint_command_route_is_described_from_its_command_type(document: dict[str, Any]) -> None:
    commands = family_commands(GrievanceCommand)
    assert len(commands) == 13
    for command in commands:
        operation = document["paths"][f"/api/v1/complaints/{{id}}/{command.name}"]["post"]
        body = resolve(document, operation["requestBody"]["content"]["application/json"]["schema"])
        assert set(body.get("properties", {})) == set(command.body().__struct_fields__), command.name
        assert operation["x-roles"] == documented_roles(command)
        assert operation["x-valid-from-states"] == documented_states(command)
        assert summary_of(command) in operation["description"]
        assert "If-Match" in {p["name"] for p in operation["parameters"]}
        assert set(operation["responses"]) >= PROBLEM_STATUSES
    # Per-kind roles and states read as before the commands were types.
    assign = document["paths"]["/api/v1/complaints/{id}/assign"]["post"]
    assert assign["x-roles"] == ["complaint: officer, leader", "denunciation: leader"]
    close = document["paths"]["/api/v1/complaints/{id}/close"]["post"]
    assert close["x-valid-from-states"] == ["complaint: decided", "denunciation: concluded"]
    create = document["paths"]["/api/v1/complaints"]["post"]
    body = resolve(document, create["requestBody"]["content"]["application/json"]["schema"])
    assert set(body["properties"]) == set(FileComplaint.__struct_fields__)
    assert create["x-roles"] == ["citizen"]


def test_every_command_type_route_is_described_from_its_type(document: dict[str, Any]) -> None:
    commands = [(path, getattr(route.endpoint, "command_type", None)) for path, _, route in routes_of(all_routes())]
    described = {path: command_type for path, command_type in commands if isinstance(command_type, type)}
    case_commands = {path: t for path, t in described.items() if issubclass(t, CaseCommand)}
    routed = {path.rsplit("/", 1)[1] for path in case_commands if path.startswith("/api/v1/service-requests/")}
    assert routed == {command_type.name for command_type in family_commands(DossierCommand)}
    assert described["/api/v1/service-requests"] is SubmitDossier
    create = document["paths"]["/api/v1/service-requests"]["post"]
    filing = resolve(document, create["requestBody"]["content"]["application/json"]["schema"])
    assert set(filing["required"]) == {"procedure", "ward", "applicant", "documents"}
    assert create["x-roles"] == ["citizen"]
    for path, command_type in case_commands.items():
        operation = document["paths"][path]["post"]
        body = resolve(document, operation["requestBody"]["content"]["application/json"]["schema"])
        assert body["type"] == "object"
        assert set(body.get("properties", {})) == set(command_type.body().__struct_fields__), path
        assert operation["x-roles"] == documented_roles(command_type)
        assert operation["x-valid-from-states"] == documented_states(command_type)
        assert summary_of(command_type).replace("``", "`") in operation["description"]
        assert operation["description"].startswith(operation["summary"])
        assert "If-Match" in {p["name"] for p in operation["parameters"]}
        assert set(operation["responses"]) >= PROBLEM_STATUSES


def test_summaries_are_one_sentence_of_plain_text_and_descriptions_use_markdown_literals(
    document: dict[str, Any],
) -> None:
    # The explorer (/api/docs) shows a summary as it is and a description as Markdown:
    # reStructuredText's ``x`` from the docstrings would show its doubled ticks.
    operations = [operation for item in document["paths"].values() for operation in item.values()]
    assert len(operations) > 150
    for operation in operations:
        summary = operation.get("summary", "")
        assert "``" not in summary + operation.get("description", ""), summary
        assert not re.search(r"\.\s", summary), summary


def test_every_example_body_files_its_case_on_the_sample_directory(
    sqlite_server: LiveServer, document: dict[str, Any]
) -> None:
    # The explorer fills "Try it out" with these: "Execute" must file a case as it stands.
    filed = set()
    for path, item in document["paths"].items():
        schema = (
            item.get("post", {}).get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        )
        if not schema or "examples" not in schema:
            continue
        role = Role(item["post"]["x-roles"][0])
        # Staff act for an agency; a business person for a business (the example's tax code).
        unit = {Role.BUSINESS: "0100109106", Role.OFFICER: "UBND_HOAN_KIEM", Role.LEADER: "UBND_HOAN_KIEM"}.get(role)
        for example in schema["examples"]:
            matches(document, example, schema)
            with sqlite_server.client(role, "vneid:001099012345", unit) as caller:
                answer = caller.post(path, json=example)
            assert answer.status_code == 201, (path, answer.text)
            filed.add(path)
    assert filed >= {"/api/v1/reports", "/api/v1/complaints", "/api/v1/service-requests", "/api/v1/alerts"}
    assert len(filed) == 8


def test_a_conflict_without_if_match_is_documented_beside_the_inferred_statuses(document: dict[str, Any]) -> None:
    # A consent changed meanwhile; an erasure request decided already: 409 with no If-Match.
    for path, method in (("/api/v1/me/consents/{purpose}", "put"), ("/api/v1/erasure-requests/{id}/decision", "post")):
        statuses = set(document["paths"][path][method]["responses"])
        assert statuses == {"200", "400", "401", "403", "404", "409", "413", "415", "422", "503"}, path


def test_a_create_is_described_from_its_endpoint(document: dict[str, Any]) -> None:
    operation = document["paths"]["/api/v1/reports"]["post"]
    body = resolve(document, operation["requestBody"]["content"]["application/json"]["schema"])
    assert {"category", "description", "location"} <= set(body["required"])
    assert "Idempotency-Key" in {p["name"] for p in operation["parameters"]}
    assert {"201", "200", "415", "422"} <= set(operation["responses"])
    assert "citizen" in operation["x-roles"]


def test_the_headers_and_open311_formats_are_described_as_the_server_reads_them(
    document: dict[str, Any], sqlite_server: LiveServer
) -> None:
    def parameter(path: str, method: str, name: str) -> dict[str, Any]:
        found = [p for p in document["paths"][path][method]["parameters"] if p["name"] == name]
        assert len(found) == 1, (path, name)
        schema: dict[str, Any] = found[0]["schema"]
        return schema

    # Step: If-Match and Idempotency-Key have the shapes the server accepts.
    if_match = re.compile(parameter("/api/v1/reports/{id}/resolve", "post", "If-Match")["pattern"])
    assert [bool(if_match.search(value)) for value in ('"3"', "*", 'W/"3"', "3")] == [True, True, False, False]
    key = re.compile(parameter("/api/v1/reports", "post", "Idempotency-Key")["pattern"])
    assert [bool(key.search(value)) for value in ("6f1c2d-retry 1", "", "k" * 201)] == [True, False, False]
    assert parameter("/open311/v2/requests.{format}", "post", "Idempotency-Key") is not None
    # Step: every Open311 path names its two formats and answers in both, errors included.
    open311 = {path: item for path, item in document["paths"].items() if path.startswith("/open311/")}
    assert len(open311) == 6
    for path, item in open311.items():
        for method, operation in item.items():
            assert parameter(path, method, "format") == {"type": "string", "enum": ["json", "xml"]}
            for status in ("200", "400", "404"):
                assert {"application/json", "text/xml"} <= set(resolve(document, operation["responses"][status])
                                                                ["content"]), (path, status)  # fmt: skip
    # Step: a page_size past the cap is read as the cap; past the schema's maximum it is 400.
    page_size = parameter("/open311/v2/requests.{format}", "get", "page_size")
    with sqlite_server.client() as anonymous:
        capped = anonymous.get("/open311/v2/requests.json", params={"page_size": "100000000"})
        refused = anonymous.get("/open311/v2/requests.json", params={"page_size": str(page_size["maximum"] + 1)})
    assert capped.status_code == 200, capped.text
    assert refused.status_code == 400
    assert refused.json()[0]["code"] == 400


def test_the_streams_document_their_event_format(document: dict[str, Any]) -> None:
    for path in ("/api/v1/me/stream", "/api/v1/worklist/stream"):
        operation = document["paths"][path]["get"]
        assert "text/event-stream" in operation["responses"]["200"]["content"]
        assert {"Last-Event-ID", "last_event_id"} <= {p["name"] for p in operation["parameters"]}
        case_event = resolve(document, operation["x-sse-events"]["case"])
        assert {"position", "case_id", "event", "status", "at"} <= set(case_event["properties"])
        assert not {"owner", "contact", "complainant"} & set(case_event["properties"])


def test_what_the_server_answers_matches_the_described_shapes(
    sqlite_server: LiveServer, document: dict[str, Any]
) -> None:
    create = document["paths"]["/api/v1/reports"]["post"]["responses"]
    read = document["paths"]["/api/v1/reports/{id}"]["get"]["responses"]
    with sqlite_server.client(Role.CITIZEN, "vneid:001099012345") as citizen:
        # Step: a write answers the CaseWritten shape, a read the case shape.
        created = citizen.post(
            "/api/v1/reports",
            json={"category": "pothole", "description": "Ổ gà", "location": {"ward": "HOAN_KIEM"}},
        )
        matches(document, created.json(), create["201"]["content"]["application/json"]["schema"])
        got = citizen.get(f"/api/v1/reports/{created.json()['id']}")
        matches(document, got.json(), read["200"]["content"]["application/json"]["schema"])

        # Step: an invalid body answers the Problem shape with its field errors.
        invalid = citizen.post("/api/v1/reports", json={"category": "pothole"})
        assert invalid.headers["content-type"] == "application/problem+json"
        problem_schema = resolve(document, create["422"])["content"]["application/problem+json"]["schema"]
        matches(document, invalid.json(), problem_schema)
    with httpx.Client(base_url=sqlite_server.base_url, verify=LOOPBACK_TLS) as anonymous:
        unauthorized = anonymous.get(f"/api/v1/reports/{created.json()['id']}")
        assert unauthorized.status_code == 401
        matches(document, unauthorized.json(), problem_schema)

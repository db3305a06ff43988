"""DESIGN §2 over real HTTP: every route of complaints, dossiers, surveys, "my
cases", the worklist and the procedure catalogue, called by every role.

The people: the citizen who owns the case, another citizen, an officer and the
leader of the handling agency, an officer of another agency, an auditor, an
admin and an Open311 partner app — plus nobody at all (401). A case someone
may not see answers 404; a case they see but may not act on, 403; an allowed
call succeeds (2xx). Each command is tried on a case in a state it is valid
from, so "allowed" means it really ran: the refused callers go first (they
change nothing), then each allowed caller on a fresh case of its own.

One server per store for the whole module (SQLite and PostgreSQL); cases are
created through the API itself. Only status codes are asserted, except where
the body is the point (the sealed denouncer).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from ihanoi_core.commands.command import CaseCommand
from ihanoi_core.commands.grievances import GrievanceCommand
from ihanoi_core.commands.service_requests import DossierCommand
from ihanoi_core.commands.surveys import AnswerSurvey, SurveyCommand
from ihanoi_core.domain.complaint import Complaint
from ihanoi_core.domain.denunciation import Denunciation
from ihanoi_core.domain.service_request import ServiceRequest
from ihanoi_core.domain.survey import Survey
from ihanoi_core.domain.values import Role
from ihanoi_core.permissions import PERMISSIONS
from ihanoi_projections.queries.access import DASHBOARD, MY_CASES, OPEN_SURVEYS, WORKLIST, QueryRule
from ihanoi_server.api import complaints, me, service_requests, surveys, worklist
from ihanoi_server.api.commands import documented_roles, documented_states, family_commands
from tests.e2e.conftest import LiveServer, start_server, stop_server

HANDLING = "UBND_HOAN_KIEM"
FOREIGN = "SXD"
OFFICER_SUBJECT = "officer-hk"
PERSONAS: dict[str, tuple[Role, str, str | None]] = {
    "owner": (Role.CITIZEN, "vneid:001099012345", None),
    "other_citizen": (Role.CITIZEN, "vneid:001099099999", None),
    "officer": (Role.OFFICER, OFFICER_SUBJECT, HANDLING),
    "foreign_officer": (Role.OFFICER, "officer-sxd", FOREIGN),
    "leader": (Role.LEADER, "leader-hk", HANDLING),
    "auditor": (Role.AUDITOR, "inspector-01", None),
    "admin": (Role.ADMIN, "platform-admin", None),
    "partner": (Role.PARTNER, "partner-app", None),
}
EVERYONE = frozenset(PERSONAS)
NOBODY: frozenset[str] = frozenset()
CITIZENS = frozenset({"owner", "other_citizen"})
STAFF = frozenset({"officer", "leader"})
LEADER = frozenset({"leader"})
OWNER = frozenset({"owner"})
# Who sees a case: its citizen, the handling agency's staff, auditors.
CASE_VISIBLE = frozenset({"owner", "officer", "leader", "auditor"})
# A forwarded dossier is seen by the partner agency too.
FORWARDED_VISIBLE = CASE_VISIBLE | {"foreign_officer"}
# A survey draft is its agency's; once published every citizen and partner reads it.
DRAFT_VISIBLE = frozenset({"officer", "leader", "auditor"})
PUBLIC_VISIBLE = DRAFT_VISIBLE | CITIZENS | {"partner"}

Body = Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None
Step = tuple[str, str, Body]  # persona, command, body

# -- how to bring a fresh case to a state, through the API ---------------------


def publish_window() -> dict[str, str]:
    now = datetime.now(UTC)
    return {"opens_at": (now - timedelta(minutes=1)).isoformat(), "closes_at": (now + timedelta(days=1)).isoformat()}


def new_appointment() -> dict[str, str]:
    return {"reason": "Chờ xác minh liên ngành", "new_due": (datetime.now(UTC) + timedelta(days=60)).isoformat()}


ACCEPT: Step = ("leader", "accept", None)
ASSIGN: Step = ("leader", "assign", {"assignee": OFFICER_SUBJECT})
VERIFY: Step = ("officer", "start-verification", None)
RECEIVE: Step = ("officer", "receive", None)
PROCESS: Step = ("officer", "start-processing", None)
PUBLISH: Step = ("leader", "publish", publish_window)
CLOSE: Step = ("leader", "close", None)
MISSING = "Giấy xác nhận tình trạng hôn nhân"
PATHS: dict[str, dict[str, tuple[Step, ...]]] = {
    "complaint": {
        "filed": (),
        "accepted": (ACCEPT,),
        "assigned": (ACCEPT, ASSIGN),
        "verifying": (ACCEPT, ASSIGN, VERIFY),
        "decided": (ACCEPT, ASSIGN, VERIFY, ("leader", "decide", {"decision": "Giữ nguyên quyết định."})),
    },
    "denunciation": {
        "preliminary_check": (),
        "accepted": (ACCEPT,),
        "assigned": (ACCEPT, ASSIGN),
        "verifying": (ACCEPT, ASSIGN, VERIFY),
        "concluded": (ACCEPT, ASSIGN, VERIFY, ("leader", "conclude", {"conclusion": "Tố cáo đúng một phần."})),
    },
    "dossier": {
        "submitted": (),
        "received": (RECEIVE,),
        "processing": (RECEIVE, PROCESS),
        "supplement_requested": (("officer", "request-supplement", {"missing": [MISSING]}),),
        "awaiting_payment": (RECEIVE, ("officer", "request-payment", {"amount": 50_000})),
        "suspended": (RECEIVE, ("leader", "suspend", {"reason": "Chờ kết quả giám định"})),
        "forwarded": (RECEIVE, PROCESS, ("officer", "forward", {"to_agency": FOREIGN, "working_days": 1, "note": "."})),
        "result_ready": (RECEIVE, PROCESS, ("officer", "mark-result-ready", {"note": "Mời nhận kết quả."})),
    },
    "survey": {
        "draft": (),
        "published": (PUBLISH,),
        "closed": (PUBLISH, CLOSE),
        "results_published": (PUBLISH, CLOSE, ("leader", "publish-results", {"summary": "Đa số hài lòng."})),
    },
}
COLLECTION = {
    "complaint": "complaints",
    "denunciation": "complaints",
    "dossier": "service-requests",
    "survey": "surveys",
}
QUESTION = {"id": "q1", "text": "Bạn hài lòng không?", "type": "rating", "required": True}
ANSWER = {"question_id": "q1", "rating": 4}
DOCUMENT = {"name": "Tờ khai", "url": "https://files.example/to-khai.pdf", "sha256": "a" * 64}


def filing(kind: str) -> dict[str, Any]:
    """A valid create body for a case of ``kind``."""
    if kind == "dossier":
        return {
            "procedure": "marriage_registration",
            "ward": "HOAN_KIEM",
            "applicant": {"name": "Nguyễn Văn An", "national_id": "001099012345"},
            "documents": [DOCUMENT],
        }
    if kind == "survey":
        return {"title": "Vỉa hè phố cổ", "questions": [QUESTION]}
    return {
        "kind": kind,
        "subject": "Quyết định thu hồi đất",
        "content": "Nội dung đơn.",
        "respondent_agency": HANDLING,
        "ward": "HOAN_KIEM",
        "complainant": {"name": "Trần Thị Bình", "national_id": "001199000111", "phone": "0987654321"},
    }


CREATOR = {"complaint": "owner", "denunciation": "owner", "dossier": "owner", "survey": "leader"}


# -- the server and its callers --------------------------------------------------


def resolve(body: Body) -> Mapping[str, Any] | None:
    return body() if callable(body) else body


def outcome(response: httpx.Response) -> str:
    if response.status_code >= 500:
        pytest.fail(f"{response.request.method} {response.request.url}: {response.text}")
    return "2xx" if response.is_success else str(response.status_code)


@dataclass
class World:
    server: LiveServer
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def call(self, persona: str | None, method: str, path: str, body: Body = None) -> httpx.Response:
        client = self.clients[persona] if persona else self.clients["nobody"]
        payload = resolve(body)
        return client.request(method, path, json=payload) if payload is not None else client.request(method, path)

    def write(self, persona: str, path: str, body: Body = None) -> dict[str, Any]:
        response = self.call(persona, "POST", path, body)
        assert response.is_success, f"{persona} POST {path}: {response.text}"
        result: dict[str, Any] = response.json()
        return result

    def prepare(self, kind: str, state: str) -> tuple[str, int]:
        """A fresh case of ``kind`` in ``state``: its path and the last write's position."""
        collection = f"/api/v1/{COLLECTION[kind]}"
        written = self.write(CREATOR[kind], collection, filing(kind))
        case = f"{collection}/{written['id']}"
        for persona, command, body in PATHS[kind][state]:
            written = self.write(persona, f"{case}/{command}", body)
        if state != "assigned":  # "assigned" is an accepted case with a handler
            assert written["status"] == state, written
        return case, int(written["position"])


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder: Path = tmp_path_factory.mktemp(f"permissions-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'ihanoi.db'}"
    else:
        database: str = request.getfixturevalue("postgres_database")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        url = f"{database}?schema={schema}"
    server = start_server(url, folder / "server.log")
    try:
        with ExitStack() as stack:
            world = World(server)
            for persona, (role, subject, agency) in PERSONAS.items():
                world.clients[persona] = stack.enter_context(server.client(role, subject, agency))
            world.clients["nobody"] = stack.enter_context(server.client())
            yield world
    finally:
        stop_server(server)


# -- commands ----------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """``command`` on a ``kind`` case in ``state``: who may run it, who sees the case."""

    kind: str
    command: str
    state: str
    allowed: frozenset[str]
    body: Body = None
    visible: frozenset[str] = CASE_VISIBLE

    def __str__(self) -> str:
        return f"{self.kind}-{self.command}"


def expected(allowed: frozenset[str], visible: frozenset[str]) -> dict[str, str]:
    return {p: "2xx" if p in allowed else "403" if p in visible else "404" for p in PERSONAS}


REASON = {"reason": "Theo quy định."}
NOTE = {"note": "Đang xử lý."}
ASSIGNEE = {"assignee": OFFICER_SUBJECT}
GRIEVANCE_BODIES: dict[str, Body] = {
    "refuse": {"reason": "Không thuộc thẩm quyền.", "legal_basis": "Luật Khiếu nại 2011, Điều 11"},
    "forward": {"to_agency": FOREIGN, "reason": "Thuộc thẩm quyền Sở Xây dựng."},
    "assign": ASSIGNEE,
    "hold-dialogue": {"summary": "Hai bên giữ ý kiến."},
    "extend": REASON,
    "extend-preliminary-check": REASON,
    "decide": {"decision": "Giữ nguyên."},
    "conclude": {"conclusion": "Đúng một phần."},
    "withdraw": REASON,
    "comment": NOTE,
}
GRIEVANCE_COMMANDS = family_commands(GrievanceCommand)
# command: (state, who may) for a complaint, then for a denunciation; a step of the other kind only is nobody's.
GRIEVANCE_TABLE: dict[str, tuple[tuple[str, frozenset[str]], tuple[str, frozenset[str]]]] = {
    "accept": (("filed", LEADER), ("preliminary_check", LEADER)),
    "refuse": (("filed", LEADER), ("preliminary_check", LEADER)),
    "forward": (("filed", STAFF), ("preliminary_check", STAFF)),
    "assign": (("filed", STAFF), ("preliminary_check", LEADER)),
    "start-verification": (("assigned", STAFF), ("assigned", STAFF)),
    "hold-dialogue": (("verifying", STAFF), ("verifying", NOBODY)),
    "extend": (("accepted", LEADER), ("accepted", LEADER)),
    "extend-preliminary-check": (("filed", NOBODY), ("preliminary_check", LEADER)),
    "decide": (("verifying", LEADER), ("verifying", NOBODY)),
    "conclude": (("verifying", NOBODY), ("verifying", LEADER)),
    "close": (("decided", STAFF), ("concluded", STAFF)),
    "withdraw": (("filed", OWNER), ("preliminary_check", OWNER)),
    "comment": (("filed", STAFF), ("preliminary_check", STAFF)),
}
DOSSIER_ROWS = (
    Row("dossier", "receive", "submitted", STAFF),
    Row("dossier", "reject", "submitted", STAFF, {"reason": "Hồ sơ không hợp lệ."}),
    Row("dossier", "start-processing", "received", STAFF),
    Row("dossier", "request-supplement", "submitted", STAFF, {"missing": [MISSING]}),
    Row("dossier", "supplement", "supplement_requested", OWNER, {"documents": [{**DOCUMENT, "name": MISSING}]}),
    Row("dossier", "request-payment", "received", STAFF, {"amount": 50_000}),
    Row("dossier", "confirm-payment", "awaiting_payment", STAFF, {"reference": "BL-0001"}),
    Row("dossier", "suspend", "received", LEADER, REASON),
    Row("dossier", "resume", "suspended", LEADER, {}),
    Row("dossier", "forward", "processing", STAFF, {"to_agency": FOREIGN, "working_days": 1, "note": "Xác minh"}),
    # Only the partner agency hands a forwarded dossier back.
    Row("dossier", "return", "forwarded", frozenset({"foreign_officer"}), {}, FORWARDED_VISIBLE),
    Row("dossier", "apologize", "processing", LEADER, new_appointment),
    Row("dossier", "mark-result-ready", "processing", STAFF, {"note": "Mời nhận kết quả."}),
    Row("dossier", "return-result", "result_ready", STAFF),
    Row("dossier", "withdraw", "submitted", OWNER, REASON),
    Row("dossier", "rate", "result_ready", OWNER, {"stars": 5}),
    Row("dossier", "assign", "submitted", STAFF, ASSIGNEE),
    Row("dossier", "comment", "submitted", STAFF, NOTE),
)
# The survey's commands are declared as types; answering is one with a route of its own.
SURVEY_COMMANDS: list[type[CaseCommand]] = [*family_commands(SurveyCommand), AnswerSurvey]
SURVEY_ROWS = (
    Row("survey", "questions", "draft", STAFF, {"questions": [QUESTION]}, DRAFT_VISIBLE),
    Row("survey", "audience", "draft", LEADER, {"wards": ["HOAN_KIEM"]}, DRAFT_VISIBLE),
    Row("survey", "publish", "draft", LEADER, publish_window, DRAFT_VISIBLE),
    Row("survey", "close", "published", LEADER, None, PUBLIC_VISIBLE),
    Row("survey", "publish-results", "closed", LEADER, {"summary": "Đa số hài lòng."}, PUBLIC_VISIBLE),
    Row(
        "survey", "responses", "published", CITIZENS, {"answers": [{"question_id": "q1", "rating": 4}]}, PUBLIC_VISIBLE
    ),
)
COMMAND_ROWS = (
    *(
        Row(kind, command, *table[index], GRIEVANCE_BODIES.get(command))
        for command, table in GRIEVANCE_TABLE.items()
        for index, kind in enumerate(("complaint", "denunciation"))
    ),
    *DOSSIER_ROWS,
    *SURVEY_ROWS,
)


@pytest.mark.parametrize("row", COMMAND_ROWS, ids=str)
def test_each_command_runs_for_the_roles_design_allows_and_is_refused_or_hidden_for_the_rest(
    world: World, row: Row
) -> None:
    case, _ = world.prepare(row.kind, row.state)
    path = f"{case}/{row.command}"
    seen = {persona: outcome(world.call(persona, "POST", path, row.body)) for persona in EVERYONE - row.allowed}
    for index, persona in enumerate(sorted(row.allowed)):
        fresh = f"{world.prepare(row.kind, row.state)[0]}/{row.command}" if index else path
        seen[persona] = outcome(world.call(persona, "POST", fresh, row.body))
    assert seen == expected(row.allowed, row.visible)


def test_every_command_route_has_a_row_in_the_table() -> None:
    tabled = {(COLLECTION[row.kind], row.command) for row in COMMAND_ROWS}
    routed = {
        (collection, command.name)
        for collection, commands in (
            ("complaints", GRIEVANCE_COMMANDS),
            ("service-requests", family_commands(DossierCommand)),
            ("surveys", SURVEY_COMMANDS),
        )
        for command in commands
    }
    assert tabled == routed


# -- reads ---------------------------------------------------------------------------

READS = (
    ("complaint", "filed", CASE_VISIBLE),
    ("denunciation", "preliminary_check", CASE_VISIBLE),
    ("dossier", "submitted", CASE_VISIBLE),
    ("dossier", "forwarded", FORWARDED_VISIBLE),
    ("survey", "draft", DRAFT_VISIBLE),
    ("survey", "published", PUBLIC_VISIBLE),
)


@pytest.mark.parametrize(("kind", "state", "visible"), READS, ids=[f"{k}-{s}" for k, s, _ in READS])
def test_a_case_is_read_by_those_who_see_it_and_is_404_for_the_rest(
    world: World, kind: str, state: str, visible: frozenset[str]
) -> None:
    case, _ = world.prepare(kind, state)
    seen = {persona: outcome(world.call(persona, "GET", case)) for persona in PERSONAS}
    assert seen == expected(visible, visible)


def test_a_case_read_through_another_collection_is_not_found(world: World) -> None:
    complaint, _ = world.prepare("complaint", "filed")
    dossier, _ = world.prepare("dossier", "submitted")
    complaint_id, dossier_id = complaint.rsplit("/", 1)[1], dossier.rsplit("/", 1)[1]
    for path in (
        f"/api/v1/complaints/{dossier_id}",
        f"/api/v1/service-requests/{complaint_id}",
        f"/api/v1/surveys/{complaint_id}",
        f"/api/v1/surveys/{complaint_id}/results",
    ):
        assert world.call("auditor", "GET", path).status_code == 404, path


def test_only_the_denouncer_the_assigned_handler_and_the_leader_read_the_denouncers_identity(world: World) -> None:
    case, _ = world.prepare("denunciation", "assigned")
    names = {persona: world.call(persona, "GET", case).json()["complainant"] for persona in CASE_VISIBLE}
    assert names["owner"]["name"] == names["officer"]["name"] == names["leader"]["name"] == "Trần Thị Bình"
    assert re.fullmatch(r"Người tố cáo #[0-9a-f]{8}", names["auditor"])


RESULTS = (
    # Before publication: the agency and the inspectorate; citizens and partners see the survey, not its results.
    ("published", DRAFT_VISIBLE, PUBLIC_VISIBLE),
    # Once published: everyone authenticated.
    ("results_published", EVERYONE, EVERYONE),
)


@pytest.mark.parametrize(("state", "allowed", "visible"), RESULTS, ids=[state for state, _, _ in RESULTS])
def test_survey_results_are_the_agencys_until_published_then_everyones(
    world: World, state: str, allowed: frozenset[str], visible: frozenset[str]
) -> None:
    case, position = world.prepare("survey", state)
    path = f"{case}/results?position={position}"
    seen = {persona: outcome(world.call(persona, "GET", path)) for persona in PERSONAS}
    assert seen == expected(allowed, visible)


# -- creates and lists ---------------------------------------------------------------

CREATES = (("complaint", CITIZENS), ("denunciation", CITIZENS), ("dossier", CITIZENS), ("survey", LEADER))


@pytest.mark.parametrize(("kind", "allowed"), CREATES, ids=[kind for kind, _ in CREATES])
def test_only_the_roles_design_names_create_a_case(world: World, kind: str, allowed: frozenset[str]) -> None:
    path = f"/api/v1/{COLLECTION[kind]}"
    seen = {persona: outcome(world.call(persona, "POST", path, filing(kind))) for persona in PERSONAS}
    assert seen == expected(allowed, EVERYONE)


def admitted(rule: QueryRule) -> frozenset[str]:
    """The personas whose role a query's access rule admits (every persona
    here that is staff has an agency); what each then sees is its scope."""
    return frozenset(persona for persona, (role, _, _) in PERSONAS.items() if role in rule.roles)


def test_the_query_rules_admit_whom_design_names() -> None:
    # DESIGN §2: citizens list their own cases; staff their agency's work; the dashboard is staff's and auditors'.
    assert admitted(MY_CASES) == CITIZENS
    assert admitted(WORKLIST) == STAFF | {"foreign_officer"}
    assert admitted(DASHBOARD) == STAFF | {"foreign_officer", "auditor"}
    # Surveys are answered by citizens, who list the ones they may answer.
    assert admitted(OPEN_SURVEYS) == CITIZENS


LISTS = (
    ("/api/v1/me/cases", admitted(MY_CASES)),
    ("/api/v1/worklist", admitted(WORKLIST)),
    ("/api/v1/worklist?assignee=me", admitted(WORKLIST)),
    ("/api/v1/dashboard", admitted(DASHBOARD)),
    ("/api/v1/surveys", admitted(OPEN_SURVEYS)),
    ("/api/v1/procedures", EVERYONE),
    ("/api/v1/procedures/birth_registration", EVERYONE),
)


@pytest.mark.parametrize(("path", "allowed"), LISTS, ids=[path for path, _ in LISTS])
def test_lists_answer_the_roles_they_are_for_and_403_the_rest(world: World, path: str, allowed: frozenset[str]) -> None:
    seen = {persona: outcome(world.call(persona, "GET", path)) for persona in PERSONAS}
    assert seen == expected(allowed, EVERYONE)


def test_an_unknown_procedure_is_not_found(world: World) -> None:
    response = world.call("owner", "GET", "/api/v1/procedures/no_such_procedure")
    assert (response.status_code, response.json()["code"]) == (404, "procedure_not_found")


def test_the_worklist_is_the_callers_agencys_only(world: World) -> None:
    case, position = world.prepare("dossier", "received")
    case_id = case.rsplit("/", 1)[1]
    for persona, listed in (("officer", True), ("leader", True), ("foreign_officer", False)):
        items = world.call(persona, "GET", f"/api/v1/worklist?limit=100&position={position}").json()["items"]
        assert (case_id in {item["case_id"] for item in items}) is listed, persona


def test_the_procedure_catalogue_is_public(world: World) -> None:
    for path in ("/api/v1/procedures", "/api/v1/procedures/birth_registration"):
        assert world.call(None, "GET", path).status_code == 200
    response = world.call(None, "GET", "/api/v1/procedures/no_such_procedure")
    assert (response.status_code, response.json()["code"]) == (404, "procedure_not_found")


def test_every_route_but_the_public_ones_answers_401_without_a_token(world: World) -> None:
    seen = {}
    for module in (complaints, service_requests, surveys, me, worklist):
        for route in module.routes:
            path = route.path.replace("{id}", str(uuid.uuid4())).replace("{code}", "birth_registration")
            for method in sorted(set(route.methods or ()) - {"HEAD"}):
                seen[f"{method} {route.path}"] = world.call(None, method, path, {}).status_code
    assert set(seen.values()) == {401}, seen


# -- the documentation says what the core enforces -----------------------------------


def documented(entries: tuple[str, ...] | list[str], kind: str) -> set[str]:
    """The roles or states a command documents for ``kind``: ``"leader"``
    applies to every kind, ``"denunciation: leader"`` to one; a parenthesis
    (``"citizen (own)"``) qualifies, it does not change the role."""
    found: set[str] = set()
    for entry in entries:
        prefix, colon, rest = entry.partition(": ")
        if colon and prefix in ("complaint", "denunciation"):
            if prefix == kind:
                found |= {part.strip() for part in rest.split(",")}
        else:
            found.add(entry)
    return {re.sub(r" \(.*\)$", "", item) for item in found}


@pytest.mark.parametrize("kind", ["complaint", "denunciation"])
@pytest.mark.parametrize("command", GRIEVANCE_COMMANDS, ids=[command.name for command in GRIEVANCE_COMMANDS])
def test_each_grievance_command_documents_the_roles_the_core_enforces(kind: str, command: type[CaseCommand]) -> None:
    enforced = {role.value for role in PERMISSIONS.get((kind, command.step()), frozenset())}
    _, allowed = GRIEVANCE_TABLE[command.name][("complaint", "denunciation").index(kind)]
    designed = {PERSONAS[persona][0].value for persona in allowed}
    assert documented(documented_roles(command), kind) == enforced == designed


DOSSIER_COMMANDS = family_commands(DossierCommand)


@pytest.mark.parametrize("command_type", DOSSIER_COMMANDS, ids=[t.name for t in DOSSIER_COMMANDS])
def test_each_dossier_command_documents_the_roles_and_states_the_core_enforces(
    command_type: type[DossierCommand],
) -> None:
    enforced = {role.value for role in PERMISSIONS.get(("dossier", command_type.step()), frozenset())}
    assert documented(documented_roles(command_type), "dossier") == enforced
    assert set(documented_states(command_type)) == set(ServiceRequest.valid_from(command_type.step()))


@pytest.mark.parametrize("command_type", SURVEY_COMMANDS, ids=[t.name for t in SURVEY_COMMANDS])
def test_each_survey_command_documents_the_roles_and_states_the_core_enforces(command_type: type[CaseCommand]) -> None:
    enforced = {role.value for role in PERMISSIONS.get(("survey", command_type.step()), frozenset())}
    assert documented(documented_roles(command_type), "survey") == enforced
    valid_from = {str(status) for status in Survey.TRANSITIONS[command_type.step()]}
    assert documented(documented_states(command_type), "survey") == valid_from


@pytest.mark.parametrize("aggregate", [Complaint, Denunciation], ids=["complaint", "denunciation"])
@pytest.mark.parametrize("command", GRIEVANCE_COMMANDS, ids=[command.name for command in GRIEVANCE_COMMANDS])
def test_each_grievance_command_documents_the_states_the_aggregate_enforces(
    aggregate: type[Complaint] | type[Denunciation], command: type[CaseCommand]
) -> None:
    step = command.step()
    if step in ("assign", "comment"):  # valid until the case is final
        enforced = {str(status) for status in aggregate.STATUSES} - aggregate.FINAL_STATUSES
    else:
        enforced = {str(status) for status in aggregate.TRANSITIONS.get(step, ())}
    assert documented(documented_states(command), aggregate.kind) == enforced

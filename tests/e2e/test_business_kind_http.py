"""The business's kind on a development token, over real HTTP on SQLite and
PostgreSQL (issue #18): ``ihanoi token --business-kind household`` signs it
into the token; an inquiry that leaves the kind out is filed as the token
says, one that contradicts the token is a 422 field error and nothing is
filed; a token that says no kind still needs it in the body.
"""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from ihanoi_core.domain.values import Role
from tests.conftest import LOOPBACK_TLS
from tests.e2e.conftest import SECRET, LiveServer
from tests.e2e.test_business_http import ok, problem

HOUSEHOLD = "0100109106"
SUBJECT = "vneid:001088000666"
BODY = {"tax_code": HOUSEHOLD, "topic": "tax_fees", "text": "Hỏi lệ phí môn bài của hộ kinh doanh"}


def cli_token(*arguments: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IHANOI_ENV": "test", "IHANOI_SECRET_KEY": SECRET}
    command = [sys.executable, "-m", "ihanoi_server.cli", "token", "--sub", SUBJECT, *arguments]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_the_token_s_business_kind_fills_in_the_filing_and_a_contradiction_is_a_field_error(
    live_server: LiveServer,
) -> None:
    # Step: the development command signs the kind in; only for a business token.
    issued = cli_token("--role", "business", "--tax-code", HOUSEHOLD, "--business-kind", "household")
    assert issued.returncode == 0, issued.stderr
    citizen = cli_token("--role", "citizen", "--business-kind", "household")
    assert (citizen.returncode, "--business-kind" in citizen.stderr) == (2, True)
    headers = {"Authorization": f"Bearer {issued.stdout.strip()}"}
    with (
        httpx.Client(base_url=live_server.base_url, headers=headers, timeout=10, verify=LOOPBACK_TLS) as person,
        live_server.client(Role.BUSINESS, "vneid:001088000777", HOUSEHOLD) as colleague,
    ):
        # Step: the body contradicts the token: a field error, nothing filed.
        refused = problem(person.post("/api/v1/business-inquiries", json={**BODY, "business_kind": "enterprise"}), 422)
        assert list(refused["errors"]) == ["business_kind"]
        assert "household" in refused["errors"]["business_kind"]
        # Step: left out, the kind is the token's.
        filed = ok(person.post("/api/v1/business-inquiries", json=BODY), 201)
        assert ok(person.get(f"/api/v1/business-inquiries/{filed['id']}"))["business_kind"] == "household"
        listed = ok(person.get("/api/v1/business-inquiries", params={"position": filed["position"]}))["items"]
        assert [item["code"] for item in listed] == [filed["code"]]  # the refused one was never filed
        # Step: a colleague's token says no kind: the body must, and then it is taken as it is.
        missing = problem(colleague.post("/api/v1/business-inquiries", json=BODY), 422)
        assert list(missing["errors"]) == ["business_kind"]
        theirs = ok(colleague.post("/api/v1/business-inquiries", json={**BODY, "business_kind": "household"}), 201)
        assert ok(colleague.get(f"/api/v1/business-inquiries/{theirs['id']}"))["business_kind"] == "household"

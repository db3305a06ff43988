"""The real server answers over HTTP on both stores."""

from __future__ import annotations

from ihanoi_core.domain.values import Role
from tests.e2e.conftest import LiveServer


def test_a_citizen_files_a_report_and_reads_it_back(live_server: LiveServer) -> None:
    with live_server.client(Role.CITIZEN) as citizen:
        created = citizen.post(
            "/api/v1/reports",
            json={"category": "pothole", "description": "Ổ gà trước số 12", "location": {"ward": "HOAN_KIEM"}},
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["status"] == "submitted"
        assert created.headers["etag"] == '"1"'
        read = citizen.get(f"/api/v1/reports/{body['code']}")
        assert read.status_code == 200
        assert read.json()["description"] == "Ổ gà trước số 12"
    with live_server.client() as anonymous:
        assert anonymous.get(f"/api/v1/reports/{body['id']}").status_code == 401
        ready = anonymous.get("/readyz")
        assert ready.status_code == 200
        assert "ihanoi_http_requests_total" in anonymous.get("/metrics").text
    assert '"request_id"' in live_server.log()

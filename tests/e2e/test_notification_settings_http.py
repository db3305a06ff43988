"""Notification settings over real HTTP, on SQLite and PostgreSQL: a citizen
adds a channel, fails and then passes its code (read from the outbox's own
derivation, as the dispatcher would send it), sets preferences and removes
the channel; problems are problem+json and leave the settings unchanged.
The tests share one server per store (``module_server``), each with a person
of its own."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx

from ihanoi_core.application import Ihanoi
from ihanoi_core.domain.contactability import contactability_id
from ihanoi_core.domain.values import Role
from ihanoi_core.notifications.codes import code_for
from ihanoi_core.settings import Settings
from tests.e2e.conftest import SECRET, LiveServer

SUBJECT = "vneid:079301234577"
SUBSCRIBER = "vneid:079301234588"  # settings of their own: the tests share a server
PATH = "/api/v1/me/notification-settings"


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def problem(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return str(response.json()["code"])


def the_code(database_url: str) -> str:
    """The code the dispatcher would send (derived from the sealed challenge with the server's key)."""
    app = Ihanoi(Settings(database_url=database_url, env="test", secret_key=SECRET, postgres_pool_size=2))
    try:
        stream: UUID = contactability_id(SUBJECT, app.personal_keys.subject_key_id(SUBJECT))
        contact = app.contact(stream)
        assert contact is not None
        return code_for(app.code_key, stream, "email", contact.pending["email"].challenge)
    finally:
        app.close()


def test_a_citizen_adds_verifies_and_removes_a_channel_and_sets_preferences(module_server: LiveServer) -> None:
    with (
        module_server.client(Role.CITIZEN, SUBJECT) as citizen,
        module_server.client(Role.OFFICER, "officer-hk", "UBND_HOAN_KIEM") as officer,
        module_server.client(Role.AUDITOR, "inspector-01") as auditor,
    ):
        empty = ok(citizen.get(PATH))
        assert (empty["channels"], empty["language"], empty["consent"]) == ([], "vi", False)
        # Staff have settings of their own (for their deadline reminders); an auditor has none.
        assert ok(officer.get(PATH))["channels"] == []
        assert problem(auditor.get(PATH), 403) == "forbidden"

        # Step: bad input is refused and records nothing.
        assert problem(citizen.put(f"{PATH}/channels/email", json={"address": "not-an-address"}), 422)
        assert problem(citizen.put(f"{PATH}/channels/fax", json={"address": "x@example.vn"}), 422)
        assert problem(citizen.put(PATH, json={"language": "fr"}), 422)
        assert problem(citizen.put(PATH, json={"opted_out": ["dossier_apology"]}), 422)
        assert ok(citizen.get(PATH))["version"] == 0

        # Step: add an address; a wrong code counts, the right one verifies.
        added = ok(citizen.put(f"{PATH}/channels/email", json={"address": "an@example.vn"}))
        assert added["settings"]["channels"][0]["verified"] is False
        assert problem(citizen.post(f"{PATH}/channels/email/verify", json={"code": "12345"}), 422)
        code = the_code(module_server.database_url)
        wrong = "000000" if code != "000000" else "111111"
        assert problem(citizen.post(f"{PATH}/channels/email/verify", json={"code": wrong}), 422) == "wrong_code"
        assert ok(citizen.get(PATH))["channels"][0]["attempts_left"] == 4
        verified = ok(citizen.post(f"{PATH}/channels/email/verify", json={"code": code}))
        assert verified["settings"]["channels"][0]["verified"] is True
        assert problem(citizen.post(f"{PATH}/channels/sms/verify", json={"code": code}), 404) == "channel_not_found"

        # Step: preferences, then the same again records nothing.
        body = {"language": "en", "quiet_hours": {"start": "22:00", "end": "06:30"}, "opted_out": ["case_status"]}
        changed = ok(citizen.put(PATH, json=body))
        assert changed["changed"] is True
        assert changed["settings"]["quiet_hours"] == {"start": "22:00", "end": "06:30"}
        assert ok(citizen.put(PATH, json=body))["changed"] is False
        assert ok(citizen.get(PATH))["alert_wards"] == []

        # Step: alert wards: unknown or too many refused; chosen ones shown only to the person.
        assert problem(citizen.put(PATH, json={**body, "alert_wards": ["NO_SUCH_WARD"]}), 422)
        assert problem(citizen.put(PATH, json={**body, "alert_wards": [f"W{n}" for n in range(21)]}), 422)
        chosen = ok(citizen.put(PATH, json={**body, "alert_wards": ["TAY_HO", "HOAN_KIEM", "TAY_HO"]}))
        assert chosen["changed"] is True
        assert chosen["settings"]["alert_wards"] == ["HOAN_KIEM", "TAY_HO"]
        # Omitted, they stay; [] unsubscribes.
        assert ok(citizen.put(PATH, json=body))["changed"] is False
        assert ok(citizen.get(PATH))["alert_wards"] == ["HOAN_KIEM", "TAY_HO"]
        assert ok(citizen.put(PATH, json={**body, "alert_wards": []}))["settings"]["alert_wards"] == []

        # Step: remove the channel.
        removed = ok(citizen.delete(f"{PATH}/channels/email"))
        assert removed["settings"]["channels"] == []
        assert problem(citizen.delete(f"{PATH}/channels/email"), 404) == "channel_not_found"


def test_a_person_subscribes_to_new_reports_in_an_area_and_removes_it(module_server: LiveServer) -> None:
    subscriptions = f"{PATH}/report-subscriptions"
    with (
        module_server.client(Role.CITIZEN, SUBSCRIBER) as citizen,
        module_server.client(Role.AUDITOR, "inspector-01") as auditor,
    ):
        # Step: bad areas are 422 problems and record nothing; an auditor has no settings.
        assert problem(citizen.post(subscriptions, json={}), 422) == "validation_error"
        assert problem(citizen.post(subscriptions, json={"ward": "ATLANTIS"}), 422)
        near = {"latitude": 21.03, "longitude": 105.85, "radius_m": 10}
        assert problem(citizen.post(subscriptions, json={"near": near}), 422)
        assert problem(citizen.post(subscriptions, json={"ward": "HOAN_KIEM", "colour": "red"}), 422)
        assert problem(auditor.post(subscriptions, json={"ward": "HOAN_KIEM"}), 403) == "forbidden"
        assert ok(citizen.get(PATH))["version"] == 0

        # Step: potholes within 500 m of a point; the same again changes nothing.
        body = {"near": {**near, "radius_m": 500}, "category": "pothole"}
        added = ok(citizen.post(subscriptions, json=body))
        assert added["changed"] is True
        (subscription,) = added["settings"]["report_subscriptions"]
        assert (subscription["category"], subscription["near"]["radius_m"], subscription["ward"]) == (
            "pothole", 500, None,
        )  # fmt: skip
        assert ok(citizen.post(subscriptions, json=body))["changed"] is False

        # Step: removed; removing it again is 404.
        removed = ok(citizen.delete(f"{subscriptions}/{subscription['id']}"))
        assert removed["settings"]["report_subscriptions"] == []
        assert problem(citizen.delete(f"{subscriptions}/{subscription['id']}"), 404) == "report_subscription_not_found"

        spec = ok(citizen.get("/openapi.json"))
        assert "post" in spec["paths"][subscriptions]
        assert "delete" in spec["paths"][subscriptions + "/{subscription}"]

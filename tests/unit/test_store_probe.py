"""How a failed connection is described: where, and the cause in one line, never the password."""

from __future__ import annotations

from ihanoi_core.eventstore.probe import describe_postgres, libpq_reason


def test_a_url_is_described_by_host_port_database_and_user_without_its_password() -> None:
    where = describe_postgres("postgres://ihanoi:s3cret@db.internal:5433/cases?schema=hn")
    assert where == "PostgreSQL at db.internal:5433, database 'cases', user 'ihanoi'"


def test_libpq_messages_are_cut_to_their_cause_on_one_line() -> None:
    refused = (
        'connection failed: connection to server at "127.0.0.1", port 5439 failed: Connection refused\n'
        "\tIs the server running on that host and accepting TCP/IP connections?"
    )
    assert libpq_reason(refused, "") == "Connection refused"
    missing = (
        'connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "x" does not exist'
    )
    assert libpq_reason(missing, "") == 'database "x" does not exist'
    assert libpq_reason("", "") == "connection failed"


def test_a_password_in_a_message_is_masked() -> None:
    assert libpq_reason('password authentication failed for user "s3cret"', "s3cret") == (
        'password authentication failed for user "***"'
    )

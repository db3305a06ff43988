"""PostgreSQL ends every connection of an embedding program (a restart, a
failover, an operator's ``pg_terminate_backend``): its next command, rebuild
step and query succeed at once on fresh connections, from each of its pools
(the events', the personal-data keys', the read models')."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.commands.values import ContactIn, LocationIn
from ihanoi_core.domain.values import Principal
from ihanoi_core.settings import Settings
from ihanoi_projections.queries import Queries
from ihanoi_projections.read_side import ReadSide
from tests.conftest import end_connections

POOL_SIZE = 4


def submit(app: Ihanoi, citizen: Principal) -> int:
    filed = app.handle(
        citizen,
        SubmitReport(
            category="pothole",
            description="Ổ gà trước số 12",
            location=LocationIn(ward="HOAN_KIEM"),
            contact=ContactIn(name="Nguyễn Thị Hoa", phone="0912345678"),
        ),
    )
    assert filed.position is not None
    return filed.position


@pytest.mark.postgres
def test_the_next_command_and_query_succeed_at_once_after_postgresql_ends_every_connection(
    own_postgres_database: str, tmp_path: Path, citizen: Principal
) -> None:
    settings = Settings(
        database_url=own_postgres_database, env="test", postgres_pool_size=POOL_SIZE, media_dir=tmp_path / "media"
    )
    app = Ihanoi(settings)
    read_side = ReadSide(app, start=False)
    try:
        # Step: a report with the reporter's contact (sealed under a personal-data
        # key), projected and listed: every pool has connections open.
        submit(app, citizen)
        read_side.catch_up()
        assert len(Queries(app, read_side).my_cases(citizen)) == 1

        # Step: PostgreSQL ends them all (the events' pool alone holds POOL_SIZE).
        assert end_connections(own_postgres_database) >= POOL_SIZE + 2

        # Step: the next report, its projection and the list succeed, without
        # waiting out the dead connections one by one (psycopg_pool's own check
        # backs off 1, 2, 4 … s before each: 31 s for a pool of ten).
        started = time.monotonic()
        submit(app, citizen)
        read_side.catch_up()
        assert len(Queries(app, read_side).my_cases(citizen)) == 2
        assert time.monotonic() - started < 2.5
    finally:
        read_side.close()
        app.close()

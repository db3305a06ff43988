"""Many concurrent writers while the read models follow the log live: no
committed event is skipped.

On PostgreSQL, positions come from a sequence. If transactions could commit
out of position order, a reader that has moved past a position would never see
the late commit: the case would exist in the log and be missing from every
read model, and the audit chain would call the log tampered. After the run,
every created case is in ``case_status``, every read model equals a rebuild
from zero row for row, the consistency probe finds nothing, and the audit chain
verifies.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from uuid import UUID

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.values import Principal, Role
from ihanoi_projections.audit_chain import verify_store
from ihanoi_projections.engine.check import check_read_models
from ihanoi_projections.read_side import READ_MODELS, ReadSide
from tests.conftest import make_settings

WRITERS = 16
SECONDS = 6.0


def write_for(app: Ihanoi, writer: int, until: float, created: list[UUID], errors: list[BaseException]) -> None:
    citizen = Principal(f"vneid:{writer:012d}", Role.CITIZEN)
    location = LocationIn(ward="HOAN_KIEM", latitude=21.0245, longitude=105.8530)
    try:
        while time.monotonic() < until:
            filed = app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=location))
            created.append(filed.case_id)
    except BaseException as error:
        errors.append(error)


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_sixteen_concurrent_writers_lose_no_case_from_any_read_model(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # Half as many pooled connections, and as many again opened when asked: each
    # writer can hold one, as at the default size of 8 (at 16 the pool opened 16
    # at once, and the test held 37 of PostgreSQL's 100 sessions, sampled).
    settings = make_settings(store, tmp_path, request).with_changes(postgres_pool_size=WRITERS // 2)
    app = Ihanoi(settings)
    read_side = ReadSide(app, settings)
    try:
        # Step: sixteen threads create reports as fast as they can while the
        # projector follows the log in the same process.
        created: list[UUID] = []
        errors: list[BaseException] = []
        until = time.monotonic() + SECONDS
        writers = [threading.Thread(target=write_for, args=(app, n, until, created, errors)) for n in range(WRITERS)]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
        assert not errors, errors
        assert len(created) > WRITERS * 10

        # Step: the read models reach the head of the log.
        head = app.head_position()
        assert read_side.wait(head, timeout=60)
        live = {name: model.rows() for name, model in read_side.models.items()}  # type: ignore[attr-defined]
        projected = {row["case_id"] for row in live["case_status"]}
        missing = [case_id for case_id in created if str(case_id) not in projected]
        assert missing == [], f"{len(missing)} of {len(created)} cases never reached case_status"

        # Step: the consistency probe compares the read models with the log.
        report = check_read_models(app, read_side.database)
        assert report.ok, report.differences
        assert report.compared["case_status cases"] >= len(created)

        # Step: the audit chain over the same log verifies.
        assert verify_store(app, read_side.database).ok
    finally:
        read_side.close()

    # Step: a rebuild from zero gives the same rows.
    rebuilt = ReadSide(app, settings, start=False)
    try:
        rebuilt.projector.reset([name for name in READ_MODELS if name != "audit_chain"])
        rebuilt.catch_up()
        for name, model in rebuilt.models.items():
            assert model.rows() == live[name], f"{name} differs after a rebuild"  # type: ignore[attr-defined]
    finally:
        rebuilt.close()
        app.close()

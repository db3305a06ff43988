"""``ihanoi serve`` refusing to start for a reason it can name says it in one
line, as every other command does, not inside the traceback uvicorn would log;
any other failure to start is reported as uvicorn reports it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.types import Message

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import IhanoiError
from ihanoi_core.settings import Settings
from ihanoi_projections.read_side import ReadSide
from ihanoi_server.cli.server import StartupRefusals


class Refused(IhanoiError):
    code = "refused_for_the_test"


def test_serve_with_read_models_ahead_of_the_store_exits_with_one_line_naming_the_rebuild(tmp_path: Path) -> None:
    # Step: a store with a report and read models that applied it.
    store = tmp_path / "ihanoi.db"
    settings = Settings(database_url=f"sqlite:///{store}", env="test", media_dir=tmp_path / "media")
    app = Ihanoi(settings)
    pothole = SubmitReport(category="pothole", description="Ổ gà", location=LocationIn(ward="HOAN_KIEM"))
    filed = app.handle(Principal("vneid:001099012345", Role.CITIZEN), pothole)
    read_side = ReadSide(app, settings, start=False)
    read_side.catch_up()
    read_side.close()
    app.close()

    # Step: the store is lost (or restored from an older backup); the read models' file is not.
    for path in tmp_path.glob("ihanoi.db*"):
        path.unlink()
    assert (tmp_path / "ihanoi.views.db").exists()

    done = serve(tmp_path, IHANOI_DATABASE_URL=settings.database_url)

    error = refusal(done)
    assert f"up to position {filed.position}, past the newest event in the store (position 0)" in error
    assert "`ihanoi projections rebuild accountability " in error


def test_serve_with_a_file_where_the_media_directory_should_be_exits_with_one_line_naming_it(tmp_path: Path) -> None:
    (tmp_path / "photos").write_text("not a directory")
    store = f"sqlite:///{tmp_path / 'ihanoi.db'}"

    done = serve(tmp_path, IHANOI_DATABASE_URL=store, IHANOI_MEDIA_DIR=str(tmp_path / "photos" / "2026"))

    error = refusal(done)
    assert error == (
        f"error: Cannot keep photos in {tmp_path}/photos/2026: {tmp_path}/photos is not a directory "
        "(check IHANOI_MEDIA_DIR)."
    )


def serve(folder: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """``ihanoi serve`` with these ``IHANOI_*`` settings and no other, run to its end."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("IHANOI_")}
    env.update(settings, IHANOI_ENV="development")
    return subprocess.run(
        [sys.executable, "-m", "ihanoi_server.cli", "serve", "--port", "0"],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )


def refusal(done: subprocess.CompletedProcess[str]) -> str:
    """The one ``error:`` line of a server that refused to start, and did so without a traceback."""
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr + done.stdout
    assert "Application startup failed" in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    return errors[0]


def run_lifespan(app: StartupRefusals) -> tuple[list[Message], BaseException | None]:
    """Start and stop ``app`` as a server does; what it sent and what it raised."""
    incoming: list[Message] = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    async def serve() -> BaseException | None:
        try:
            await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
        except Exception as error:
            return error
        return None

    return sent, asyncio.run(serve())


def app_whose_lifespan(fails_on_start: Exception | None = None, fails_on_stop: Exception | None = None) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if fails_on_start is not None:
            raise fails_on_start
        yield
        if fails_on_stop is not None:
            raise fails_on_stop

    return Starlette(lifespan=lifespan)


def test_a_named_refusal_is_kept_and_the_start_reported_failed_without_a_traceback() -> None:
    refusal = Refused("The read models were made from another log.")
    app = StartupRefusals(app_whose_lifespan(fails_on_start=refusal))

    sent, raised = run_lifespan(app)

    assert sent == [{"type": "lifespan.startup.failed"}]
    assert raised is None
    assert app.refusal is refusal


def test_any_other_failure_to_start_is_reported_with_its_traceback_and_raised() -> None:
    broken = RuntimeError("the disk is on fire")
    app = StartupRefusals(app_whose_lifespan(fails_on_start=broken))

    sent, raised = run_lifespan(app)

    assert [message["type"] for message in sent] == ["lifespan.startup.failed"]
    assert "Traceback" in sent[0]["message"]
    assert "RuntimeError: the disk is on fire" in sent[0]["message"]
    assert raised is broken
    assert app.refusal is None


def test_a_start_and_a_stop_pass_through_and_a_named_error_on_stop_is_not_a_refusal() -> None:
    app = StartupRefusals(app_whose_lifespan())
    assert run_lifespan(app) == ([{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}], None)

    late = Refused("Could not close the read side.")
    app = StartupRefusals(app_whose_lifespan(fails_on_stop=late))
    sent, raised = run_lifespan(app)
    assert [message["type"] for message in sent] == ["lifespan.startup.complete", "lifespan.shutdown.failed"]
    assert "Refused: Could not close the read side." in sent[1]["message"]
    assert raised is late
    assert app.refusal is None

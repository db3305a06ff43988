"""The loop every log follower shares (``ihanoi_projections.engine.following``): a
failing step is logged with its traceback and retried, never skipped."""

from __future__ import annotations

import threading

from structlog.testing import capture_logs

from ihanoi_projections.engine.following import Follower


class FlakyFollower(Follower):
    """Fails its first ``failing`` steps, then records each position it reads."""

    thread_name = "test-follower"
    failure_event = "test_step_failed"

    def __init__(self, failing: int) -> None:
        super().__init__(poll_interval=0.001)
        self.failing = failing
        self.read: list[int] = []
        self.done = threading.Event()

    @property
    def position(self) -> int:
        return len(self.read)

    def step(self) -> None:
        if self.failing:
            self.failing -= 1
            raise ConnectionError("the store did not answer")
        self.read.append(self.position)
        if len(self.read) == 2:
            self.done.set()
        self.idle()


def test_a_failing_step_is_logged_with_its_traceback_and_retried_from_the_same_position() -> None:
    follower = FlakyFollower(failing=2)
    with capture_logs() as logs:
        # Step: the follower fails twice, then reads on.
        follower.start()
        assert follower.done.wait(5)
        follower.stop()
    # Step: both failures were logged with the exception, at the position not yet read.
    failures = [entry for entry in logs if entry["event"] == "test_step_failed"]
    assert [(entry["position"], entry["log_level"], entry["exc_info"]) for entry in failures] == [
        (0, "error", True),
        (0, "error", True),
    ]
    assert [entry["backoff"] for entry in failures] == [0.001, 0.002]
    # Step: nothing was skipped: the reads start where the failures were.
    assert follower.read[:2] == [0, 1]
    assert follower.failures == 2
    assert not follower.running


def test_a_stopped_follower_ends_its_thread_without_another_step() -> None:
    follower = FlakyFollower(failing=0)
    follower.start()
    assert follower.done.wait(5)
    follower.stop()
    steps = len(follower.read)
    # Step: once stopped, the thread is gone and reads nothing more.
    assert not follower.running
    assert follower.stopping
    assert len(follower.read) == steps

"""``ihanoi ARGS`` through the same ``main(argv)`` in this process, answered as
``subprocess.run`` would answer it: exit code, stdout and stderr.

For CLI commands that keep no global state (no logging set-up, no signal
handler, no ``chdir``; ``Settings.from_env`` reads the environment and
``./.env``, both swapped for the call). An uncaught exception is not turned into
exit code 1: it fails the test with its traceback. Commands that run until a
signal (``serve``, ``projections run``, the workers) stay child processes."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from ihanoi_server.cli.main import main

USAGE = 2


def run_cli(args: list[str], env: Mapping[str, str], cwd: Path | None = None) -> CompletedProcess[str]:
    """Run ``ihanoi *args`` with exactly the ``IHANOI_*`` variables of ``env``
    (its other variables are set too), in ``cwd`` when given."""
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    stderr = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("IHANOI_") and name not in env]:
            patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        if cwd is not None:
            patch.chdir(cwd)
        patch.setattr(sys, "stdout", stdout)
        patch.setattr(sys, "stderr", stderr)
        try:
            code = main(args)
        except SystemExit as exit:  # argparse's usage errors
            code = exit.code if isinstance(exit.code, int) else USAGE
        stdout.flush()
        stderr.flush()
    return CompletedProcess(args, code, _text(stdout), _text(stderr))


def _text(stream: io.TextIOWrapper) -> str:
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue().decode()

"""Run every benchmark in turn (``python -m benchmarks``): each figure beside a
ceiling measured in the same run, as a ratio."""

from __future__ import annotations

from benchmarks import alerts, audit, http, privacy, read_side, write_side

if __name__ == "__main__":
    write_side.run()
    read_side.run()
    audit.run()
    privacy.run()
    alerts.run()
    http.run()

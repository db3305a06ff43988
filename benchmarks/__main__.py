"""Run every benchmark in turn (``python -m benchmarks``)."""

from __future__ import annotations

from benchmarks import write_side

if __name__ == "__main__":
    write_side.run()

"""Run every benchmark in turn (``python -m benchmarks``): each figure beside a
ceiling measured in the same run, as a ratio."""

from __future__ import annotations

import logging

import structlog

from benchmarks import (
    alert_fanout,
    alerts,
    audit,
    business,
    bypasses,
    channels,
    chat_photos,
    deadlines,
    http,
    notifications,
    payments,
    photos,
    privacy,
    public_map,
    public_results,
    questions,
    read_side,
    sessions,
    write_side,
)

if __name__ == "__main__":
    # The figures only: the library's info lines (a cancelled notice, …) would
    # come between them. Warnings and errors still show.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    write_side.run()
    read_side.run()
    bypasses.run()
    public_results.run()
    audit.run()
    privacy.run()
    alerts.run()
    alert_fanout.run()
    public_map.run()
    http.run()
    sessions.run()
    notifications.run()
    photos.run()
    deadlines.run()
    questions.run()
    channels.run()
    chat_photos.run()
    business.run()
    payments.run()

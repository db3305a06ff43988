"""audit_checkpoints: the signed checkpoints this deployment has made, kept beside the chain.

``ihanoi audit checkpoint`` and the worker's ``--checkpoint-every N``
(``ihanoi_projections.audit_chain.make_checkpoint``, ``PeriodicCheckpoints``) record
each checkpoint they sign here, besides printing or logging it for
publication. ``ihanoi audit verify`` checks the newest one signed with the
trusted key against the stored log and reports how many events lie after it:
those are protected by the chain table alone, and a forged event appended to
the log (and then chained like any other) hides in that window. Signing often
keeps the window small.

Not a read model: nothing here derives from the log, and a rebuild of
``audit_chain`` never clears it (a rebuild over a rewritten log is exactly what
these checkpoints catch). Recording a checkpoint is not publishing it: whoever
can write to the database can delete rows here — which only widens the window
``verify`` reports — but cannot sign a new one without ``IHANOI_AUDIT_KEY``.
"""

from __future__ import annotations

from ihanoi_core.audit.checkpoint import Checkpoint, CheckpointFormatError
from ihanoi_projections.engine.database import ViewDatabase

TABLE = "audit_checkpoints"
SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    "position BIGINT NOT NULL, public_key TEXT NOT NULL, created_at TEXT NOT NULL, document TEXT NOT NULL,"
    " PRIMARY KEY (position, public_key))",
)


def open_checkpoints(database: ViewDatabase) -> ViewDatabase:
    """``database``, with the checkpoint table created if need be."""
    database.create(SCHEMA)
    return database


def record_checkpoint(database: ViewDatabase, checkpoint: Checkpoint) -> None:
    """Keep ``checkpoint``; a second one at the same position and key is dropped."""
    with open_checkpoints(database).transaction() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (position, public_key, created_at, document) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (checkpoint.position, checkpoint.public_key, checkpoint.created_at, checkpoint.to_json().decode()),
        )


def newest_checkpoint(database: ViewDatabase, public_key: str) -> Checkpoint | None:
    """The recorded checkpoint at the highest position that names ``public_key``.
    Checkpoints naming other keys (a rotated key, an impostor's) are not
    looked at. Raises ``CheckpointFormatError`` (with its ``position``) when
    the row is not a checkpoint."""
    rows = open_checkpoints(database).query(
        f"SELECT position, document FROM {TABLE} WHERE public_key = ? ORDER BY position DESC LIMIT 1",
        (public_key.strip(),),
    )
    if not rows:
        return None
    try:
        return Checkpoint.from_json(str(rows[0]["document"]))
    except CheckpointFormatError as error:
        position = rows[0]["position"]
        raise CheckpointFormatError(
            f"The checkpoint recorded for position {position} in {TABLE} is not a checkpoint: {error.detail}",
            position=position,
        ) from None

"""The renewed Zalo OA token pair, kept in the view database (``zalo_oa_tokens``).

One row per configured refresh token (its fingerprint, ``seed``; never the
token): the access and refresh tokens of the last renewal, so a restarted
dispatcher sends with them instead of the expired pair in its settings, and
never reuses a refresh token Zalo already spent. Not a read model: a rebuild
leaves it alone. The tokens are secrets: the view database must be guarded
like the settings (docs/channels.md).
"""

from __future__ import annotations

from ihanoi_projections.engine.database import ViewDatabase

TABLE = "zalo_oa_tokens"
SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (seed TEXT PRIMARY KEY, access_token TEXT NOT NULL, "
    "refresh_token TEXT NOT NULL)"
)


class ViewTokenStore:
    """``TokenPairStore`` over the view database."""

    def __init__(self, database: ViewDatabase) -> None:
        self.database = database
        database.create([SCHEMA])

    def load(self, seed: str) -> tuple[str, str] | None:
        rows = self.database.query(f"SELECT access_token, refresh_token FROM {TABLE} WHERE seed = ?", (seed,))
        return (rows[0]["access_token"], rows[0]["refresh_token"]) if rows else None

    def save(self, seed: str, access_token: str, refresh_token: str) -> None:
        with self.database.transaction() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE} (seed, access_token, refresh_token) VALUES (?, ?, ?) ON CONFLICT (seed)"
                " DO UPDATE SET access_token = excluded.access_token, refresh_token = excluded.refresh_token",
                (seed, access_token, refresh_token),
            )

"""Audit and integrity (DESIGN §8): the functions behind ``ihanoi audit``.

- ``history``: a case's events with actor and time; its state at any version
  or moment (``case_history``, ``case_state``).
- ``chain``: the hash chain over the notification log (``chain``, ``chain_link``).
- ``verify``: the stored log checked against the chained rows (``verify_chain``).
- ``checkpoint``: Ed25519-signed checkpoints of the chain (``sign_checkpoint``,
  ``check_checkpoint``).
- ``export``: the log as stable JSON lines, redacted as for an auditor.

Everything here is pure logic over an ``Ihanoi`` application and raw
notifications; the chain's stored rows live on the read side
(``ihanoi_projections.audit_chain``), which feeds them in.
"""

from __future__ import annotations

from ihanoi_core.audit.chain import GENESIS, ChainRow, chain, chain_link, event_digest, read_log
from ihanoi_core.audit.checkpoint import (
    AuditKeyError,
    Checkpoint,
    CheckpointFormatError,
    check_checkpoint,
    generate_key,
    load_signing_key,
    public_key_of,
    sign_checkpoint,
)
from ihanoi_core.audit.export import EXPORT_FIELDS, export_events, export_line
from ihanoi_core.audit.history import (
    AUDITOR,
    CaseHistory,
    CaseState,
    HistoryEntry,
    VersionNotFoundError,
    case_history,
    case_state,
    parse_moment,
)
from ihanoi_core.audit.verify import LogSummary, Problem, VerifyReport, verify_chain

__all__ = [
    "AUDITOR",
    "EXPORT_FIELDS",
    "GENESIS",
    "AuditKeyError",
    "CaseHistory",
    "CaseState",
    "ChainRow",
    "Checkpoint",
    "CheckpointFormatError",
    "HistoryEntry",
    "LogSummary",
    "Problem",
    "VerifyReport",
    "VersionNotFoundError",
    "case_history",
    "case_state",
    "chain",
    "chain_link",
    "check_checkpoint",
    "event_digest",
    "export_events",
    "export_line",
    "generate_key",
    "load_signing_key",
    "parse_moment",
    "public_key_of",
    "read_log",
    "sign_checkpoint",
    "verify_chain",
]

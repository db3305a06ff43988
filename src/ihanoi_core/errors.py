"""The one error hierarchy of ihanoi.

Every error the library raises on purpose is an ``IhanoiError``. Each class says
when it is raised and carries the ids involved, so the server can map error
*classes* to HTTP statuses in one table and a caller can act on the data rather
than parse a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID


class IhanoiError(Exception):
    """Base class of every error raised on purpose by ihanoi."""

    code: str = "ihanoi_error"

    def __init__(self, detail: str, **context: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.context: dict[str, Any] = context


class NotFoundError(IhanoiError):
    """Raised when a case (or another record) does not exist *or the principal
    may not see it*: existence must not leak, so both answer the same."""

    code = "not_found"


class CaseNotFoundError(NotFoundError):
    """Raised when no case with the given id or code is visible to the principal."""

    code = "case_not_found"

    def __init__(self, case: UUID | str) -> None:
        super().__init__(f"No case {case} is visible to you.", case=str(case))
        self.case = case


class ErasureRequestNotFoundError(NotFoundError):
    """Raised when no erasure request with the given id is visible to the
    principal (only its requester and the data protection officer see one)."""

    code = "erasure_request_not_found"

    def __init__(self, request: UUID | str) -> None:
        super().__init__(f"No erasure request {request} is visible to you.", request=str(request))
        self.request = request


class ForbiddenError(IhanoiError):
    """Raised when the principal may see a case (or resource) but not perform
    the requested command on it, e.g. a citizen trying to resolve a report."""

    code = "forbidden"

    def __init__(self, command: str, role: str, case_id: UUID | None = None) -> None:
        super().__init__(
            f"Role {role!r} may not {command.replace('_', ' ')} here.",
            command=command,
            role=role,
            case_id=str(case_id) if case_id else None,
        )
        self.command = command
        self.role = role
        self.case_id = case_id


class InvalidTransitionError(IhanoiError):
    """Raised by an aggregate when a command is not valid from its current
    status (e.g. resolving a closed report). Nothing is appended."""

    code = "invalid_transition"

    def __init__(self, case_id: UUID, command: str, status: str, allowed_from: tuple[str, ...] = ()) -> None:
        status = str(status)
        allowed_from = tuple(str(s) for s in allowed_from)
        allowed = f" (allowed from: {', '.join(allowed_from)})" if allowed_from else ""
        super().__init__(
            f"Cannot {command.replace('_', ' ')}: the case is {status!r}{allowed}.",
            case_id=str(case_id),
            command=command,
            status=status,
            allowed_from=list(allowed_from),
        )
        self.case_id = case_id
        self.command = command
        self.status = status
        self.allowed_from = allowed_from


class RuleViolationError(IhanoiError):
    """Raised by an aggregate when a command is valid from the current status
    but breaks a business rule: a reopen after the 7-day window, a third
    extension of a denunciation, a rating before resolution."""

    code = "rule_violation"

    def __init__(self, case_id: UUID | None, rule: str, detail: str) -> None:
        super().__init__(detail, case_id=str(case_id) if case_id else None, rule=rule)
        self.case_id = case_id
        self.rule = rule


class ConflictError(IhanoiError):
    """Raised when a command lost a race: another command changed the same case
    between our read and our write, so nothing of ours was saved."""

    code = "conflict"

    def __init__(self, case_id: UUID, detail: str | None = None) -> None:
        super().__init__(
            detail or f"Case {case_id} was changed concurrently; reload and retry.",
            case_id=str(case_id),
        )
        self.case_id = case_id


class VersionMismatchError(ConflictError):
    """Raised when the caller named the version it expects (HTTP ``If-Match``)
    and the case has moved on since."""

    code = "version_mismatch"

    def __init__(self, case_id: UUID, expected: int, actual: int) -> None:
        super().__init__(case_id, f"Case {case_id} is at version {actual}, not {expected}.")
        self.context.update(expected=expected, actual=actual)
        self.expected = expected
        self.actual = actual


class AlreadyAnsweredError(ConflictError):
    """Raised when a survey's respondent (the citizen, or the token of an
    anonymous survey) has already answered it — also when two answers raced
    and the other one was saved first. Nothing is saved."""

    code = "already_answered"

    def __init__(self, survey_id: UUID, response_id: UUID) -> None:
        super().__init__(survey_id, f"Survey {survey_id} has already been answered by this respondent.")
        self.context.update(response_id=str(response_id))
        self.survey_id = survey_id
        self.response_id = response_id


class ValidationError(IhanoiError):
    """Raised when command input is malformed: each problem is named by field."""

    code = "validation_error"

    def __init__(self, errors: Mapping[str, str]) -> None:
        summary = "; ".join(f"{field}: {problem}" for field, problem in errors.items())
        super().__init__(f"Invalid input: {summary}", errors=dict(errors))
        self.errors = dict(errors)


class IdempotencyKeyReusedError(ValidationError):
    """Raised when a create names an idempotency key that an earlier request
    with a different body used: answering with the earlier case would silently
    drop this request (the IETF Idempotency-Key draft answers 422)."""

    code = "idempotency_key_reused"

    def __init__(self, case_id: UUID) -> None:
        super().__init__(
            {"idempotency_key": "was already used with a different request; use a new key for a new request"}
        )
        self.context.update(case_id=str(case_id))
        self.case_id = case_id


class PhotoTooLargeError(IhanoiError):
    """Raised when an uploaded photo (or the request carrying it) is larger
    than ``IHANOI_MEDIA_MAX_BYTES``: refused before it is decoded, nothing stored."""

    code = "photo_too_large"

    def __init__(self, size: int | None, limit: int) -> None:
        shown = f" ({size} bytes)" if size is not None else ""
        super().__init__(f"A photo must be at most {limit} bytes{shown}.", size=size, limit=limit)
        self.size = size
        self.limit = limit


class UnsupportedPhotoError(IhanoiError):
    """Raised when an upload is not a JPEG, PNG or WebP image *by its content*
    (whatever its name or declared type says): an SVG or HTML page renamed
    ``.jpg`` is refused here. Nothing is stored."""

    code = "unsupported_photo_type"

    def __init__(self, detail: str = "A photo must be a JPEG, PNG or WebP image (decided by its content).") -> None:
        super().__init__(detail)


class PhotoRefusedError(IhanoiError):
    """Raised when an upload is an image of an accepted type that cannot be
    taken: more pixels than ``IHANOI_MEDIA_MAX_PIXELS`` (a decompression
    bomb), truncated or corrupt. ``reason`` says which. Nothing is stored."""

    code = "photo_refused"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail, reason=reason)
        self.reason = reason


class PhotoStoreUnavailableError(IhanoiError):
    """Raised when photos cannot be stored: the media directory
    (``IHANOI_MEDIA_DIR``) is not one this process can write in, found when the
    server or ``ihanoi demo`` starts (the detail names it), or writing a photo
    failed (a full disk, permissions taken away): nothing is filed, and
    ``reason`` tells the operator what went wrong (never the client)."""

    code = "photo_store_unavailable"

    def __init__(self, detail: str, reason: str) -> None:
        super().__init__(detail)
        self.reason = reason


class DirectoryError(IhanoiError):
    """Raised when the directory TOML cannot be loaded: names the file, the key
    path (and line when known) and the problem."""

    code = "directory_error"

    def __init__(self, path: str, key: str, problem: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {key}: {problem}", path=path, key=key, line=line)
        self.path = path
        self.key = key
        self.problem = problem
        self.line = line


class ConfigurationError(IhanoiError):
    """Raised when an ``IHANOI_*`` setting is missing or invalid at start-up."""

    code = "configuration_error"


class StoreUnavailableError(ConfigurationError):
    """Raised at start-up when the event store that ``IHANOI_DATABASE_URL``
    names cannot be opened: PostgreSQL refuses the connection or does not
    answer within the connect timeout, or the SQLite file cannot be created or
    opened. ``store`` says where (host, port, database and user, or the path;
    never a password) and ``reason`` what went wrong."""

    code = "store_unavailable"

    def __init__(self, store: str, reason: str) -> None:
        super().__init__(f"Cannot open the event store, {store}: {reason} (check IHANOI_DATABASE_URL).")
        self.context.update(store=store, reason=reason)
        self.store = store
        self.reason = reason

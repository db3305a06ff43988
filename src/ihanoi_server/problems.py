"""Errors as ``application/problem+json`` (RFC 9457), from one table.

Each error *class* maps to one HTTP status here and nowhere else. The body
carries ``type``, ``title``, ``status``, ``detail`` and ``code`` (plus field
``errors`` for validation), never a stack trace. Unexpected exceptions become
a bare 500 with a request id to quote; the details go to the log only.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from ihanoi_core.errors import (
    ConflictError,
    ForbiddenError,
    IhanoiError,
    InvalidTransitionError,
    NotFoundError,
    PhotoRefusedError,
    PhotoStoreUnavailableError,
    PhotoTooLargeError,
    RuleViolationError,
    UnsupportedPhotoError,
    ValidationError,
    VersionMismatchError,
)
from ihanoi_core.payments.signatures import SignatureError
from ihanoi_server.auth.jwks import IdentityProviderUnavailableError
from ihanoi_server.auth.tokens import AuthenticationError

PROBLEM_JSON = "application/problem+json"
# What a 503 store_unreachable asks a client to wait before sending the request again.
STORE_RETRY_AFTER_SECONDS = 5
TYPE_BASE = "https://ihanoi.dev/problems/"


class HttpProblem(IhanoiError):
    """Raised by the HTTP layer for problems that exist only in HTTP: a
    malformed body, a wrong content type, a body too large, a bad header."""

    def __init__(self, status: int, code: str, detail: str, **context: Any) -> None:
        super().__init__(detail, **context)
        self.status = status
        self.code = code


# Most specific first: the first matching class decides the status.
STATUS_BY_ERROR: tuple[tuple[type[IhanoiError], int], ...] = (
    (AuthenticationError, 401),
    (SignatureError, 401),
    (IdentityProviderUnavailableError, 503),
    (ValidationError, 422),
    (NotFoundError, 404),
    (ForbiddenError, 403),
    (VersionMismatchError, 412),
    (ConflictError, 409),
    (InvalidTransitionError, 409),
    (RuleViolationError, 409),
    (PhotoTooLargeError, 413),
    (UnsupportedPhotoError, 415),
    (PhotoRefusedError, 422),
    (PhotoStoreUnavailableError, 503),
)
# The problem's title: the status's reason phrase (RFC 9110).
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    428: "Precondition Required",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def problem(
    status: int, code: str, detail: str, *, title: str | None = None, extra: dict[str, Any] | None = None
) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if extra:
        body.update(extra)
    headers = {"WWW-Authenticate": 'Bearer realm="ihanoi"'} if status == 401 else None
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def problem_for(error: IhanoiError) -> Response:
    """The problem response for an ihanoi error."""
    if isinstance(error, HttpProblem):
        return problem(error.status, error.code, error.detail)
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            extra: dict[str, Any] = {}
            if isinstance(error, ValidationError):
                extra["errors"] = error.errors
            elif isinstance(error, InvalidTransitionError):
                extra.update(status_now=error.status, allowed_from=list(error.allowed_from))
            elif isinstance(error, VersionMismatchError):
                extra.update(expected_version=error.expected, current_version=error.actual)
            response = problem(status, error.code, error.detail, extra=extra)
            if isinstance(error, IdentityProviderUnavailableError):
                response.headers["Retry-After"] = str(error.retry_after)
            return response
    return problem(400, error.code, error.detail)

"""Importing CAP from an upstream authority: reading it from a file or an
http(s) URL within a size cap and a timeout, and drafting the alert it asks
for — or applying its Update or Cancel to the alert imported earlier —
(``ihanoi alerts import``; ``parse`` checks the XML).

An imported ``Alert`` message is created under an idempotency key derived
from its reference (``sender,identifier,sent``) by the importer
``import:<sender>``: importing it again answers the same draft, and a later
``Update`` or ``Cancel`` finds it by computing the same id from each of its
``references`` — no index to keep. An Update or Cancel that names no alert
imported for the agency is refused (``UnknownUpstreamAlertError``).

The URL is fetched with the standard library, without following a redirect
to another scheme, and the body is read at most ``max_bytes`` + 1 bytes far:
a larger answer is refused without being read whole. Nothing is stored
unless the whole document is accepted: the draft is one command.
"""

from __future__ import annotations

import dataclasses
import hashlib
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import msgspec

from ihanoi_core.cap.parse import MAX_CAP_BYTES, CapRefusedError, UpstreamMessage, read_upstream
from ihanoi_core.commands.alerts import FollowUpstream, ReviseAlert
from ihanoi_core.domain.alert import Alert
from ihanoi_core.domain.values import Principal, Role

if TYPE_CHECKING:
    from ihanoi_core.application import Ihanoi
    from ihanoi_core.handlers.bus import CommandResult

DEFAULT_TIMEOUT = 10.0
USER_AGENT = "ihanoi-cap-import/1"


def read_cap_source(source: str, *, max_bytes: int = MAX_CAP_BYTES, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """The bytes of ``source``: an ``http(s)://`` URL or a file path.
    ``CapRefusedError`` when it cannot be read, answers an error, or is larger
    than ``max_bytes``."""
    if source.startswith(("http://", "https://")):
        return _fetch(source, max_bytes, timeout)
    try:
        with Path(source).open("rb") as file:
            data = file.read(max_bytes + 1)
    except OSError as error:
        raise CapRefusedError({"source": f"cannot read {source}: {error.strerror or error}"}) from None
    return _within(data, max_bytes)


def _within(data: bytes, max_bytes: int) -> bytes:
    if len(data) > max_bytes:
        raise CapRefusedError({"source": f"larger than {max_bytes} bytes"})
    return data


class _SameSchemeRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if not newurl.startswith(("http://", "https://")):
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _fetch(url: str, max_bytes: int, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/cap+xml, */*"})
    opener = urllib.request.build_opener(_SameSchemeRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                raise CapRefusedError({"source": f"{url} announces {declared} bytes, more than {max_bytes}"})
            return _within(response.read(max_bytes + 1), max_bytes)
    except urllib.error.HTTPError as error:
        raise CapRefusedError({"source": f"{url} answered HTTP {error.code}"}) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", None) or error
        raise CapRefusedError({"source": f"cannot fetch {url}: {reason}"}) from None


class UnknownUpstreamAlertError(CapRefusedError):
    """Raised when an upstream Update or Cancel references no alert imported
    for the agency (``errors["references"]`` lists what it names)."""

    code = "unknown_upstream_alert"


def importer(sender: str, agency: str) -> Principal:
    """Who an upstream sender's imports are made by: the system, for ``agency``."""
    return Principal(f"import:{sender}"[:200], Role.SYSTEM, agency)


def import_key(reference: str) -> str:
    """The idempotency key of the draft an upstream Alert message makes."""
    return "cap:" + hashlib.sha256(reference.encode()).hexdigest()


def imported_alert_id(reference: str) -> UUID:
    """The id of the alert the upstream message ``reference`` was imported as, if it was."""
    # Here, not at module level: the command bus (~0.1 s) is not needed to parse the CLI's options.
    from ihanoi_core.handlers.bus import CommandBus

    sender = reference.split(",", 1)[0]
    return CommandBus._new_case_id(Principal(f"import:{sender}"[:200], Role.SYSTEM), Alert.kind, import_key(reference))


def import_alert(app: Ihanoi, data: bytes, *, agency: str, wards: tuple[str, ...] = ()) -> CommandResult:
    """Draft the alert the CAP document ``data`` asks for, for ``agency``
    (``wards`` added to each of its areas), or apply its Update or Cancel to
    the alert imported from a message it references (``FollowUpstream``).
    The draft's author is the import itself (``import:<upstream sender>``, in
    the system role), so any leader of the agency may approve it. A message
    imported already changes nothing. ``CapRefusedError``/``ValidationError``
    when refused; nothing is stored then."""
    if app.directory.get_agency(agency) is None:
        raise CapRefusedError({"agency": f"unknown agency {agency!r}"})
    message = read_upstream(
        data, wards={code: ward.name for code, ward in app.directory.wards.items()}, extra_wards=wards
    )
    principal = importer(message.source.sender, agency)
    if message.msg_type == "Alert":
        assert message.draft is not None
        result = app.handle(principal, message.draft, idempotency_key=import_key(message.reference))
        return result if result.created else dataclasses.replace(result, changed=False)  # imported before
    return app.handle(principal, follow(message, find_imported(app, message, agency)))


def find_imported(app: Ihanoi, message: UpstreamMessage, agency: str) -> UUID:
    """The alert of ``agency`` imported from a message ``message`` references
    (the latest such reference first)."""
    for reference in reversed(message.references):
        alert_id = imported_alert_id(reference)
        found = app.load_visible(importer(reference.split(",", 1)[0], agency), alert_id, Alert)
        if found is not None and found.agency == agency:
            return alert_id
        if found is not None:
            where = f"{found.code} was imported for {found.agency}, not {agency}"
            raise UnknownUpstreamAlertError({"references": f"{where}: use --agency {found.agency}"})
    named = " ".join(message.references)[:300]
    raise UnknownUpstreamAlertError(
        {"references": f"the {message.msg_type} names no alert imported for {agency}: {named}"}
    )


def follow(message: UpstreamMessage, alert_id: UUID) -> FollowUpstream:
    """The command applying an upstream Update or Cancel to the alert ``alert_id``."""
    content = {} if message.draft is None else msgspec.structs.asdict(message.draft)
    for name in ("template", "source"):
        content.pop(name, None)
    return FollowUpstream(
        case=alert_id,
        msg_type=message.msg_type,  # type: ignore[arg-type]
        source=message.source,
        note=message.note,
        revision=None if message.draft is None else ReviseAlert(case=alert_id, **content),
    )

"""Importing CAP from an upstream authority: reading it from a file or an
http(s) URL within a size cap and a timeout, and drafting the alert it asks
for (``ihanoi alerts import``; ``parse`` checks the XML).

The URL is fetched with the standard library, without following a redirect
to another scheme, and the body is read at most ``max_bytes`` + 1 bytes far:
a larger answer is refused without being read whole. Nothing is stored
unless the whole document is accepted: the draft is one command.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from ihanoi_core.application import Ihanoi
from ihanoi_core.cap.parse import MAX_CAP_BYTES, CapRefusedError, draft_from_cap
from ihanoi_core.domain.values import Principal, Role
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


def import_alert(app: Ihanoi, data: bytes, *, agency: str, wards: tuple[str, ...] = ()) -> CommandResult:
    """Draft the alert the CAP document ``data`` asks for, for ``agency``
    (``wards`` added to each of its areas). The draft's author is the import
    itself (``import:<upstream sender>``, in the system role), so any leader
    of the agency may approve it. ``CapRefusedError``/``ValidationError``
    when refused; nothing is stored then."""
    if app.directory.get_agency(agency) is None:
        raise CapRefusedError({"agency": f"unknown agency {agency!r}"})
    draft = draft_from_cap(
        data, wards={code: ward.name for code, ward in app.directory.wards.items()}, extra_wards=wards
    )
    sender = draft.source.sender if draft.source is not None else "upstream"
    return app.handle(Principal(f"import:{sender}"[:200], Role.SYSTEM, agency), draft)

"""Keeping a photo sent in a chat: fetch it from the channel's CDN once, store it in the photo library.

Zalo's and Meta's attachment URLs expire, so a report filed with one would
lose its photo. When the guided flow files a report (at "confirm"),
``fetch_photo(url, max_bytes=…, timeout=…)`` downloads the image:

- only ``http``/``https`` URLs, and redirects only to those;
- the answer must be 2xx with an image ``Content-Type`` (JPEG, PNG or WebP);
- at most ``max_bytes`` (``IHANOI_MEDIA_MAX_BYTES``): a larger
  ``Content-Length`` is refused before reading, a body that grows past it is
  cut off;
- ``timeout`` seconds (``IHANOI_CHANNEL_PHOTO_TIMEOUT_SECONDS``): each wait
  (connect, each read) is bounded by it and the download is abandoned once it
  has run that long, so the webhook still answers in bounded time.

The bytes then go through ``PhotoLibrary.add`` like an upload (type decided
by the content, pixel limit, EXIF and GPS stripped, re-encoded, thumbnail).
Any failure is a ``PhotoFetchError`` with a short reason and no URL (the URL
names the user's file): the report is filed without the photo and the reply
says so. Standard library only, so the core stays light.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from http.client import HTTPException
from typing import Any
from urllib.parse import urlsplit

SCHEMES = ("http", "https")
IMAGE_TYPES = ("image/jpeg", "image/jpg", "image/png", "image/webp")
CHUNK = 64 * 1024


class PhotoFetchError(Exception):
    """A chat photo could not be kept; ``reason`` names why (never the URL)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to another http(s) URL."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if urlsplit(newurl).scheme not in SCHEMES:
            fp.close()  # the redirect's own answer: its socket goes now, not at garbage collection
            raise PhotoFetchError("redirect_scheme")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


OPENER = urllib.request.build_opener(HttpOnlyRedirects)


def fetch_photo(url: str, *, max_bytes: int, timeout: float) -> bytes:
    """The image at ``url`` (module docstring); ``PhotoFetchError`` otherwise."""
    if urlsplit(url).scheme not in SCHEMES:
        raise PhotoFetchError("scheme")
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"Accept": ", ".join(IMAGE_TYPES[::2])})
    try:
        with OPENER.open(request, timeout=timeout) as answer:
            kind = answer.headers.get_content_type()
            if kind not in IMAGE_TYPES:
                raise PhotoFetchError("content_type")
            length = answer.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) > max_bytes:
                raise PhotoFetchError("too_large")
            data = bytearray()
            while chunk := answer.read1(CHUNK):
                data += chunk
                if len(data) > max_bytes:
                    raise PhotoFetchError("too_large")
                if time.monotonic() > deadline:
                    raise PhotoFetchError("timeout")
    except urllib.error.HTTPError as error:
        error.close()  # it holds the answer's socket
        raise PhotoFetchError(f"status_{error.code}") from None
    except (urllib.error.URLError, HTTPException, OSError, ValueError) as error:
        raise PhotoFetchError(type(error).__name__) from None
    if not data:
        raise PhotoFetchError("empty")
    return bytes(data)

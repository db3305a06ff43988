"""A VietQR payload as an image: SVG or PNG, drawn by ``segno`` (imported
here only, so the core imports without it). Error correction M, as bank
apps print; the quiet zone is the standard four modules."""

from __future__ import annotations

import base64
import io
from typing import Literal

ImageFormat = Literal["png", "svg"]
MEDIA_TYPES: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml"}


def render(payload: str, image_format: ImageFormat = "png", *, scale: int = 6) -> bytes:
    """The QR code of ``payload`` as PNG or SVG bytes."""
    import segno

    code = segno.make_qr(payload, error="m")
    out = io.BytesIO()
    if image_format == "svg":
        code.save(out, kind="svg", scale=scale, xmldecl=False, title="VietQR")
    else:
        code.save(out, kind="png", scale=scale)
    return out.getvalue()


def data_url(payload: str, image_format: ImageFormat = "svg") -> str:
    """The image as a ``data:`` URL, for a page or an app to show inline."""
    encoded = base64.b64encode(render(payload, image_format)).decode("ascii")
    return f"data:{MEDIA_TYPES[image_format]};base64,{encoded}"

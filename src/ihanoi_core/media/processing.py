"""Turning an uploaded file into a photo ihanoi may keep and show.

``process_photo(data, limits)``:

1. refuses more than ``limits.max_bytes`` before decoding anything;
2. lets Pillow decide the type from the content, among JPEG, PNG and WebP
   only (an SVG or an HTML page named ``photo.jpg`` is not an image to Pillow:
   refused);
3. refuses more pixels than ``limits.max_pixels`` from the header, before
   decoding a single pixel (a decompression bomb: a few kilobytes that decode
   to gigabytes), and treats Pillow's own ``DecompressionBombWarning`` and
   ``DecompressionBombError`` as the same refusal;
4. reads the GPS position from the EXIF data, to offer as the report's
   suggested location;
5. re-encodes: EXIF orientation applied to the pixels (``exif_transpose``),
   then a fresh JPEG without any metadata (no EXIF, GPS, device, owner, ICC
   or comments), at most ``MAX_SIDE`` pixels on its long side, and a
   thumbnail of at most ``THUMBNAIL_SIDE``.

The stored name is the sha256 of the re-encoded bytes (``store``). Pillow is
imported here, when a photo is first processed, so ``import ihanoi_core``
stays light for library users who never touch photos.
"""

from __future__ import annotations

import hashlib
import io
import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ihanoi_core.errors import PhotoRefusedError, PhotoTooLargeError, UnsupportedPhotoError

if TYPE_CHECKING:
    from PIL.Image import Image

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
CONTENT_TYPE = "image/jpeg"
# Long side of a stored photo: a 12-megapixel phone photo keeps its detail;
# a 100-megapixel one is not needed to see a pothole.
MAX_SIDE = 4096
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80
# EXIF GPS IFD tags (EXIF 2.32 §4.6.6).
GPS_LATITUDE_REF, GPS_LATITUDE, GPS_LONGITUDE_REF, GPS_LONGITUDE = 1, 2, 3, 4


@dataclass(frozen=True, slots=True)
class PhotoLimits:
    """What an upload may be: bytes of the file, pixels of the image."""

    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 40_000_000


@dataclass(frozen=True, slots=True)
class ProcessedPhoto:
    """A photo ready to store: the re-encoded JPEG, its thumbnail, its
    content address and size, and the GPS point its EXIF data named (``None``
    when it had none), as (latitude, longitude) in WGS84 degrees."""

    sha256: str
    data: bytes
    thumbnail: bytes
    width: int
    height: int
    suggested_location: tuple[float, float] | None
    content_type: str = CONTENT_TYPE


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def process_photo(data: bytes, limits: PhotoLimits) -> ProcessedPhoto:
    """The photo ``data`` holds, re-encoded (see the module docstring).
    Raises ``PhotoTooLargeError``, ``UnsupportedPhotoError`` or
    ``PhotoRefusedError``; never anything else for bad input."""
    if len(data) > limits.max_bytes:
        raise PhotoTooLargeError(len(data), limits.max_bytes)
    Image = pillow(limits)
    from PIL import UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
            width, height = image.size
            if width * height > limits.max_pixels:
                raise PhotoRefusedError(
                    "too_many_pixels",
                    f"The image is {width}×{height} pixels; at most {limits.max_pixels} pixels are accepted.",
                )
            location = gps_location(image)
            photo, thumbnail = reencode(image)
    except UnidentifiedImageError:
        raise UnsupportedPhotoError() from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRefusedError(
            "too_many_pixels", f"The image decodes to more than {limits.max_pixels} pixels."
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        # Pillow's decoders report a truncated or corrupt file with these.
        raise PhotoRefusedError("unreadable", f"The image cannot be read: {error}.") from None
    return ProcessedPhoto(
        sha256=sha256_of(photo[0]),
        data=photo[0],
        thumbnail=thumbnail,
        width=photo[1],
        height=photo[2],
        suggested_location=location,
    )


def pillow(limits: PhotoLimits) -> Any:
    """``PIL.Image``, imported on first use and set to refuse bombs: its pixel
    limit is ours, and its ``DecompressionBombWarning`` (between one and two
    times the limit; above, Pillow raises ``DecompressionBombError``) is an
    error in this process rather than a log line, so no bomb is decoded
    whichever check sees it first. A process-wide filter: ``catch_warnings``
    is not safe across the threads that process uploads."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
    return Image


def reencode(image: Image) -> tuple[tuple[bytes, int, int], bytes]:
    """(JPEG bytes, width, height) of the upright image without metadata, and its thumbnail."""
    from PIL import Image as PILImage
    from PIL import ImageOps

    image.seek(0)  # an animated PNG or WebP: its first frame
    upright = ImageOps.exif_transpose(image)
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    if upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info):
        rgba = upright.convert("RGBA")
        flat = PILImage.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
    else:
        flat = upright.convert("RGB")
    # A fresh image carries no metadata; converting copies ``info`` (EXIF, ICC, XMP, comments).
    flat.info = {}
    photo = jpeg(flat, JPEG_QUALITY)
    small = flat.copy()
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    return (photo, flat.width, flat.height), jpeg(small, THUMBNAIL_QUALITY)


def jpeg(image: Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def gps_location(image: Image) -> tuple[float, float] | None:
    """The (latitude, longitude) the image's EXIF GPS data names, or ``None``
    when it has none or it is not a valid WGS84 point."""
    from PIL import ExifTags

    try:
        gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:
        return None
    latitude = degrees(gps.get(GPS_LATITUDE), gps.get(GPS_LATITUDE_REF), "S")
    longitude = degrees(gps.get(GPS_LONGITUDE), gps.get(GPS_LONGITUDE_REF), "W")
    if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    if latitude == 0 and longitude == 0:  # a camera without a fix writes zeros
        return None
    return round(latitude, 7), round(longitude, 7)


def degrees(value: Any, reference: Any, negative: str) -> float | None:
    """EXIF (degrees, minutes, seconds) rationals and their N/S or E/W reference as signed degrees."""
    try:
        parts = [float(part) for part in value]
        if len(parts) != 3:
            return None
        result = parts[0] + parts[1] / 60 + parts[2] / 3600
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not math.isfinite(result):
        return None
    if isinstance(reference, bytes):
        reference = reference.decode("ascii", "replace")
    return -result if str(reference).strip().upper() == negative else result

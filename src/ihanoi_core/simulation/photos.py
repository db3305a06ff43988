"""Photos for the simulation and ``ihanoi demo``, drawn with Pillow on the spot
(no image files ship with ihanoi): a grey road with a dark pothole-like patch,
its colours and shapes derived from a label, so the same label always gives
the same photo. Each carries the EXIF data a phone would write — the GPS point
of the report and a camera model — which the upload strips, after offering
the point as the suggested location.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

# Small: the simulation files thousands of reports, and what matters is that they carry photos.
PHOTO_SIZE = (200, 150)


def rational_degrees(value: float) -> tuple[float, float, float]:
    """Degrees as EXIF's (degrees, minutes, seconds)."""
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return float(degrees), float(minutes), seconds


def gps_exif(latitude: float, longitude: float) -> Any:
    """An EXIF block with a GPS position and a camera model, as a phone writes it."""
    from PIL import ExifTags, Image

    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Simulated"
    exif[ExifTags.Base.Model] = "Phone of a citizen"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N" if latitude >= 0 else "S"
    gps[ExifTags.GPS.GPSLatitude] = rational_degrees(latitude)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E" if longitude >= 0 else "W"
    gps[ExifTags.GPS.GPSLongitude] = rational_degrees(longitude)
    return exif


def generated_photo(label: str, latitude: float | None = None, longitude: float | None = None) -> bytes:
    """A JPEG "photo" of a street problem for ``label`` (see the module docstring)."""
    from PIL import Image, ImageDraw

    digest = hashlib.sha256(label.encode()).digest()
    width, height = PHOTO_SIZE
    road = 90 + digest[0] % 60
    image = Image.new("RGB", PHOTO_SIZE, (road, road, road + digest[1] % 20))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, height // 3), fill=(120 + digest[2] % 100, 170 + digest[3] % 60, 220))
    for lane in range(0, width, 40):
        draw.rectangle((lane + digest[4] % 10, height * 2 // 3, lane + 20, height * 2 // 3 + 4), fill=(235, 235, 220))
    x, y = 20 + digest[5] % (width - 90), height // 3 + 10 + digest[6] % (height // 3)
    draw.ellipse((x, y, x + 30 + digest[7] % 40, y + 12 + digest[8] % 20), fill=(40, 35, 30))
    out = io.BytesIO()
    if latitude is not None and longitude is not None:
        image.save(out, "JPEG", quality=80, exif=gps_exif(latitude, longitude))
    else:
        image.save(out, "JPEG", quality=80)
    return out.getvalue()

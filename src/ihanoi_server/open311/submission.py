"""What an Open311 POST asks for: the report, checked against the directory,
the partner that files it and the ward it is filed in.

The contact fields become the report's private ``Contact`` (name =
``last_name first_name``, the Vietnamese order); ``device_id`` is not kept and
``account_id`` is only echoed. Attribute answers are checked against the
service definition (``ihanoi_core.directory.answers``, its required
attributes enforced) and kept as the report's structured ``attributes``; the
description stays what the client wrote. Every problem is collected, so a 400
names them all.

The ward, which decides the agency, is chosen in this order:

1. ``ward`` (an ihanoi extension; also ``attribute[ward]`` when the service has
   no such attribute): a ward code or name of the directory; unknown is 400;
2. ``lat`` + ``long``: the ward whose approximate centre (the directory's ``centre``) is
   nearest; a point farther than 50 km from every centre is outside the city (400);
3. an ``address_string`` naming a ward ("Phường Cầu Giấy", "Cau Giay Ward");
4. otherwise the city's central ward (Hoàn Kiếm; the directory's first ward
   if it has none), whose committee transfers the report when it is not theirs.

A directory without centres for its wards skips step 2.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import unicodedata
from dataclasses import dataclass

from ihanoi_core.commands.values import ContactIn, LocationIn
from ihanoi_core.directory import Category, Directory
from ihanoi_core.directory.answers import Answers, check_answers
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ValidationError
from ihanoi_server.open311.format import Open311Error
from ihanoi_server.open311.params import Params, split_list

MAX_DESCRIPTION = 4000
MAX_ADDRESS = 500
MAX_MEDIA = 10
FARTHEST_FROM_A_WARD_M = 50_000
CENTRAL_WARD = "HOAN_KIEM"
EARTH_RADIUS_M = 6_371_008.8
# Approximate centres (WGS84) of the sample directory's wards, as drawn since 01/07/2025.
PHONE = re.compile(r"\+?[0-9 ().-]{6,30}")
EMAIL = re.compile(r"[^@\s]{1,100}@[^@\s]{1,100}")
URL = re.compile(r"https?://\S{1,1990}")


@dataclass(frozen=True)
class Submission:
    """What a POST asks for, checked against the directory."""

    description: str
    location: LocationIn
    contact: ContactIn | None
    media_urls: tuple[str, ...]
    attributes: Answers
    account_id: str | None


def partner(api_key: str | None, keys: frozenset[str]) -> Principal:
    """The partner app holding ``api_key``, named by a fingerprint (never the key); 403 otherwise."""
    if api_key is None:
        raise Open311Error(403, "api_key was not provided -- can't proceed with create_request.")
    if not any(hmac.compare_digest(api_key.encode(), key.encode()) for key in keys):
        raise Open311Error(403, "Invalid api_key received -- can't proceed with create_request.")
    return Principal(f"open311:{hashlib.sha256(api_key.encode()).hexdigest()[:16]}", Role.PARTNER)


def submission(params: Params, category: Category, directory: Directory) -> Submission:
    """The report a POST asks for; 400 naming every problem at once."""
    problems: list[str] = []
    point = coordinates(params, problems)
    address = bounded(params, "address_string", MAX_ADDRESS, problems)
    address_id = bounded(params, "address_id", 200, problems)
    answers = params.attributes()
    named = params.get("ward") or (
        answers["ward"][-1] if "ward" in answers and all(a.code != "ward" for a in category.attributes) else None
    )
    if not (point or address or address_id or named or params.get("lat") or params.get("long")):
        problems.append("A location was not provided: send lat and long, address_string or address_id.")
    ward = choose_ward(directory, named, point, address, problems)
    description = params.get("description") or category.name_vi
    if len(description) > MAX_DESCRIPTION:
        problems.append(f"description must be at most {MAX_DESCRIPTION} characters.")
    attributes = answered(category, answers, problems)
    contact = contact_of(params, problems)
    media_urls = params.get_all("media_url")
    if len(media_urls) > MAX_MEDIA or not all(URL.fullmatch(url) for url in media_urls):
        problems.append(f"media_url must be an http(s) URL (at most {MAX_MEDIA}).")
    account_id = bounded(params, "account_id", 200, problems)
    if problems:
        raise Open311Error(400, *problems)
    where = "; ".join(part for part in (address, f"address_id: {address_id}" if address_id else None) if part)
    return Submission(
        description=description,
        location=LocationIn(
            ward=ward,
            latitude=point[0] if point else None,
            longitude=point[1] if point else None,
            address=where or None,
        ),
        contact=contact,
        media_urls=tuple(media_urls),
        attributes=attributes,
        account_id=account_id,
    )


def bounded(params: Params, name: str, limit: int, problems: list[str]) -> str | None:
    value = params.get(name)
    if value is not None and len(value) > limit:
        problems.append(f"{name} must be at most {limit} characters.")
    return value


def coordinates(params: Params, problems: list[str]) -> tuple[float, float] | None:
    lat, long = params.get("lat"), params.get("long")
    if lat is None and long is None:
        return None
    if lat is None or long is None:
        problems.append("lat and long must be sent together.")
        return None
    try:
        point = float(lat), float(long)
    except ValueError:
        point = math.nan, math.nan
    if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
        problems.append("lat and long must be WGS84 degrees (lat -90..90, long -180..180).")
        return None
    return point


def answered(category: Category, answers: dict[str, list[str]], problems: list[str]) -> Answers:
    """The attribute answers as the report keeps them (``check_answers`` with
    the service definition's required ones enforced), each problem worded
    the Open311 way. A list answer may name its values by key or name, and a
    ``multivaluelist`` may come as one comma-joined string of keys; answers
    to attributes the service does not ask are ignored."""
    asked = {item.code: item for item in category.attributes if item.variable}
    given: dict[str, list[str]] = {}
    for code, values in answers.items():
        item = asked.get(code)
        if item is None:
            continue  # not asked (the ward extension among them): ignored, as Open311 servers do
        if item.datatype == "multivaluelist" and len(values) == 1:
            names = {value.key for value in item.values} | {value.name for value in item.values}
            if values[0] not in names:
                values = split_list(values[0])  # "a,b" from clients that join the keys
        given[code] = values
    try:
        return check_answers(category, given, require=True)
    except ValidationError as error:
        for field, problem in error.errors.items():
            code = field.removeprefix("attributes.")
            problems.append(f"attribute[{code}] {problem}." if code != "attributes" else f"attribute: {problem}.")
        return {}


def contact_of(params: Params, problems: list[str]) -> ContactIn | None:
    """The submitter's contact, private to the agency: never in any GET."""
    first, last = params.get("first_name"), params.get("last_name")
    name = " ".join(part for part in (last, first) if part) or None
    phone, email = params.get("phone"), params.get("email")
    if name is not None and len(name) > 200:
        problems.append("first_name and last_name must be at most 200 characters together.")
    if phone is not None and not PHONE.fullmatch(phone):
        problems.append("phone must be a phone number (digits, spaces, + - . ( )).")
    if email is not None and not EMAIL.fullmatch(email):
        problems.append("email must be an e-mail address.")
    return ContactIn(name=name, phone=phone, email=email) if name or phone or email else None


# -- choosing the ward --------------------------------------------------------------------


def choose_ward(
    directory: Directory,
    named: str | None,
    point: tuple[float, float] | None,
    address: str | None,
    problems: list[str],
) -> str:
    """The report's ward (see the module docstring for the order)."""
    if named is not None:
        ward = ward_named(directory, named)
        if ward is None:
            problems.append(f"ward {named!r} is not a ward of {directory.jurisdiction_name}.")
        return ward or central_ward(directory)
    if point is not None and (nearest := nearest_ward(directory, *point)) is not None:
        code, distance = nearest
        if distance > FARTHEST_FROM_A_WARD_M:
            problems.append(f"lat and long are outside {directory.jurisdiction_name}.")
        return code
    if address is not None and (found := ward_in_address(directory, address)) is not None:
        return found
    return central_ward(directory)


def central_ward(directory: Directory) -> str:
    return CENTRAL_WARD if CENTRAL_WARD in directory.wards else next(iter(directory.wards))


def nearest_ward(directory: Directory, latitude: float, longitude: float) -> tuple[str, float] | None:
    distances = [
        (distance_m(latitude, longitude, *ward.centre), code)
        for code, ward in directory.wards.items()
        if ward.centre is not None
    ]
    if not distances:
        return None
    distance, code = min(distances)
    return code, distance


def distance_m(latitude: float, longitude: float, other_latitude: float, other_longitude: float) -> float:
    """Haversine distance on the mean Earth sphere."""
    phi1, phi2 = math.radians(latitude), math.radians(other_latitude)
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(other_longitude - longitude) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def folded(text: str) -> str:
    """Lower case without diacritics or punctuation: "Phường Cầu Giấy" → "phuong cau giay"."""
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).lower()
    return " ".join(re.sub(r"[\W_]+", " ", plain).split())


def ward_named(directory: Directory, name: str) -> str | None:
    """The ward whose code or name (with or without "Phường", "Xã", "Ward") is ``name``."""
    wanted = folded(name)
    for ward in directory.wards.values():
        full_names = {folded(ward.code), folded(ward.name), folded(ward.name_en)}
        short_names = {re.sub(r"^(phuong|xa|thi tran) |( ward| commune)$", "", n) for n in full_names}
        if wanted in full_names | short_names:
            return ward.code
    return None


def ward_in_address(directory: Directory, address: str) -> str | None:
    """The ward an address names in full ("phường Cầu Giấy", "Cau Giay Ward"), if exactly one."""
    words = f" {folded(address)} "
    found = {
        ward.code
        for ward in directory.wards.values()
        if any(f" {name} " in words for name in (folded(ward.name), folded(ward.name_en)) if name)
    }
    return found.pop() if len(found) == 1 else None

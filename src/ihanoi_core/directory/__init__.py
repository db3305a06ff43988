"""The directory of a city: its wards, agencies, report categories, procedures
and legal deadlines, read from one TOML file (DESIGN §3.6).

- ``model``: the immutable records and the lookups (``Directory.route``, …);
- ``loader``: reading and checking a file (``load_directory``), every mistake
  reported with its file, key and line;
- ``schema``: the shape and types of the file's tables;
- ``text``: how those mistakes are worded.
"""

from __future__ import annotations

from ihanoi_core.directory.loader import directory_from_toml, load_directory
from ihanoi_core.directory.model import (
    AGENCY_LEVELS,
    ATTRIBUTE_DATATYPES,
    REQUIRED_DEADLINES,
    ROUTE_TO_WARD,
    ROUTE_TO_WARD_POLICE,
    WARD_ROUTING_LEVELS,
    Agency,
    Attribute,
    AttributeValue,
    CalendarOverride,
    CalendarSettings,
    Category,
    Directory,
    Procedure,
    Ward,
)

__all__ = [
    "AGENCY_LEVELS",
    "ATTRIBUTE_DATATYPES",
    "REQUIRED_DEADLINES",
    "ROUTE_TO_WARD",
    "ROUTE_TO_WARD_POLICE",
    "WARD_ROUTING_LEVELS",
    "Agency",
    "Attribute",
    "AttributeValue",
    "CalendarOverride",
    "CalendarSettings",
    "Category",
    "Directory",
    "Procedure",
    "Ward",
    "directory_from_toml",
    "load_directory",
]

"""The ``[business]`` table of the directory: where a business's inquiry
(phản ánh, kiến nghị, vướng mắc của doanh nghiệp, hộ kinh doanh) goes.

- ``topics``: the topics a business may file under, each with the agency
  that answers it (``tax`` → the Department of Finance, ``construction`` →
  the Department of Construction …); an inquiry about a procedure of the
  catalogue goes to that procedure's agency instead;
- ``default_agency``: who answers a topic without an agency of its own.

The answer period is the ``business_inquiry_answer`` rule of ``[deadlines]``,
with its legal basis, like every other period.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

TopicCode = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class BusinessTopic(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A topic of inquiry and who answers it (``None``: ``default_agency``)."""

    code: TopicCode
    name: str
    name_en: str = ""
    agency: str | None = None


class BusinessDirectory(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The ``[business]`` table (see module docstring)."""

    default_agency: str | None = None
    topics: tuple[BusinessTopic, ...] = ()

    def topic(self, code: str) -> BusinessTopic | None:
        return next((topic for topic in self.topics if topic.code == code), None)


def business_problems(business: BusinessDirectory, agencies: set[str], deadlines: set[str]) -> list[tuple[str, str]]:
    """What a schema cannot check: known agencies, unique topics, and an
    answer period once businesses may file."""
    problems: list[tuple[str, str]] = []
    named = [("business.default_agency", business.default_agency)] + [
        (f"business.topics.{topic.code}.agency", topic.agency) for topic in business.topics
    ]
    problems += [(key, f"unknown agency {agency!r}") for key, agency in named if agency and agency not in agencies]
    codes = [topic.code for topic in business.topics]
    twice = sorted(code for code in set(codes) if codes.count(code) > 1)
    problems += [("business.topics", f"topic {code!r} is listed twice") for code in twice]
    if business.topics and "business_inquiry_answer" not in deadlines:
        problems.append(("deadlines.business_inquiry_answer", "is required when business.topics are listed"))
    return problems

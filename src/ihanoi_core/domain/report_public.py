"""The public side of a report: photos (the reporter's evidence, staff's
before and after), the support of other citizens who meet the same problem
("tôi cũng gặp") and the reporter's rating of the result. ``ReportPublicSide`` is a mixin of ``Report``, which declares
its event bodies as its own events, so they keep the topics
``ihanoi_core.domain.report:Report.PhotoAttached`` and so on
(``service_request_steps`` explains the pattern).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ihanoi_core.domain.report_values import HiddenPhoto, Photo
from ihanoi_core.domain.values import ANONYMOUS_SUBJECT, Principal, Role
from ihanoi_core.errors import RuleViolationError

if TYPE_CHECKING:
    from ihanoi_core.domain.case import Case

    # Type checkers see the case the mixin is always mixed into; at run time
    # it is a plain class, so it defines no events of its own.
    _Report = Case
else:
    _Report = object

# Recorded as the actor of a support instead of the citizen: the report's owner
# reads its history, and must not learn who else met the problem.
SUPPORTER = Principal(ANONYMOUS_SUBJECT, Role.CITIZEN)


class ReportPublicSide(_Report):
    """Attaching and hiding photos, supports, rating. Mixed into ``Report`` only."""

    if TYPE_CHECKING:
        owner: str | None
        photos: tuple[Photo, ...]
        hidden_photos: tuple[HiddenPhoto, ...]
        support_count: int
        _supporters: set[str]
        rating: int | None

    def attach_photo(self, actor: Principal, photo: Photo, *, max_photos: int, timestamp: datetime) -> None:
        """Attach a stored photo (by its hash): the reporter's evidence, or
        staff's photos of the site before and after the work. At most
        ``max_photos`` per report, each once."""
        self._require("attach_photo")
        if any(attached.sha256 == photo.sha256 for attached in self.photos):
            raise RuleViolationError(self.id, "photo", "This photo is already attached to the report.")
        if len(self.photos) >= max_photos:
            raise RuleViolationError(self.id, "photo_limit", f"A report carries at most {max_photos} photos.")
        self._attach_photo(actor=actor, photo=photo, timestamp=timestamp)

    def _attach_photo(self, actor: Principal, photo: Photo, timestamp: datetime) -> None:
        self.photos = (*self.photos, photo)

    def hide_photo(self, actor: Principal, photo: str, reason: str, *, timestamp: datetime) -> None:
        """Take a photo out of public view for good (a face, a licence plate),
        with the reason on the record. Staff still see it."""
        self._require("hide_photo")
        if not any(attached.sha256 == photo for attached in self.photos):
            raise RuleViolationError(self.id, "photo", "No such photo is attached to the report.")
        if photo in self.hidden_photo_hashes:
            raise RuleViolationError(self.id, "photo", "This photo is hidden already.")
        reason = self._require_text(self.id, "reason", reason, max_length=1000)
        self._hide_photo(actor=actor, photo=photo, reason=reason, timestamp=timestamp)

    def _hide_photo(self, actor: Principal, photo: str, reason: str, timestamp: datetime) -> None:
        self.hidden_photos = (*self.hidden_photos, HiddenPhoto(photo, reason))

    @property
    def hidden_photo_hashes(self) -> frozenset[str]:
        return frozenset(hidden.sha256 for hidden in self.hidden_photos)

    @property
    def public_photos(self) -> tuple[Photo, ...]:
        """The photos anyone may see: not hidden. (Whether the report itself is
        shown, and its photos with it, is the public read model's rule.)"""
        hidden = self.hidden_photo_hashes
        return tuple(photo for photo in self.photos if photo.sha256 not in hidden)

    # -- other citizens ----------------------------------------------------------

    def support(self, actor: Principal, supporter: str, *, timestamp: datetime) -> None:
        """A citizen who meets the same problem supports the report ("tôi cũng
        gặp") instead of filing a duplicate. ``supporter`` is the citizen's keyed
        pseudonym for this report (the application derives it): the event records
        it and an anonymous actor, never who the citizen is. Only while the report
        is open, never one's own report; a second support by the same citizen
        changes nothing (no event), so a retried request is harmless."""
        self._require("support")
        if self.owner is not None and actor.subject == self.owner:
            raise RuleViolationError(self.id, "own_report", "You cannot support your own report.")
        if not supporter.strip():
            raise RuleViolationError(self.id, "supporter", "A support needs the supporter's pseudonym.")
        if supporter in self._supporters:
            return
        self._support(actor=SUPPORTER, supporter=supporter, timestamp=timestamp)

    def _support(self, actor: Principal, supporter: str, timestamp: datetime) -> None:
        self._supporters.add(supporter)
        self.support_count = len(self._supporters)

    def rate(self, actor: Principal, stars: int, comment: str | None, *, timestamp: datetime) -> None:
        """The reporter rates the result, 1–5, once per resolution."""
        self._require("rate")
        if not 1 <= stars <= 5:
            raise RuleViolationError(self.id, "stars", "A rating is a whole number from 1 to 5.")
        if self.rating is not None:
            raise RuleViolationError(self.id, "rating", "This resolution has already been rated.")
        if comment is not None:
            comment = self._require_text(self.id, "comment", comment, max_length=1000)
        self._rate(actor=actor, stars=stars, comment=comment, timestamp=timestamp)

    def _rate(self, actor: Principal, stars: int, comment: str | None, timestamp: datetime) -> None:
        self.rating = stars

"""The alert queries: the public alerts (anyone, no token) and the warnings
flood hotspots suggest (a leader, for their own agency).

The public ones read ``public_alerts`` and need no principal: an alert is
public from its first issued message on, and the read model holds nothing
else. Whether an alert is active is judged at the application's now.
``suggestions`` checks ``FLOOD_SUGGESTIONS`` (``queries.access``) and pairs
each hotspot with the alerts already in force in its ward, and with the body
of a ``POST /api/v1/alerts`` that would draft the suggested warning.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from ihanoi_core.domain.values import Principal
from ihanoi_projections.flood_hotspots import FloodHotspotsModel
from ihanoi_projections.public_alerts import PublicAlert, PublicAlertsModel
from ihanoi_projections.queries.access import FLOOD_SUGGESTIONS, authorize
from ihanoi_projections.read_side import ReadSideQueries


@dataclass(frozen=True, slots=True)
class AlertSuggestion:
    """A ward and hour whose open flood reports cross the directory's
    threshold: why, on what basis, the alerts already in force there, and the
    draft to start from (nothing is issued until a leader approves one)."""

    ward: str
    ward_name: str
    agency: str | None
    hour: datetime
    reports: int
    max_depth_cm: float | None
    reasons: tuple[str, ...]
    basis: str
    active_alerts: tuple[str, ...]
    draft: dict[str, Any]


class AlertQueries(ReadSideQueries):
    """See the module docstring."""

    @property
    def alerts(self) -> PublicAlertsModel:
        return self.read_side.model(PublicAlertsModel)

    def public_alerts(
        self, *, ward: str | None = None, active: bool | None = None, limit: int = 100
    ) -> list[PublicAlert]:
        return self.alerts.find(now=self.app.clock(), ward=ward, active=active, limit=limit)

    def public_alert(self, code: str) -> PublicAlert | None:
        return self.alerts.get_by_code(code, now=self.app.clock())

    def cap_document(self, code: str, sequence: int | None = None) -> bytes | None:
        return self.alerts.document(code, sequence)

    def suggestions(self, principal: Principal) -> list[AlertSuggestion]:
        """The hotspots of the leader's agency (``ForbiddenError`` for anyone else)."""
        authorize(principal, FLOOD_SUGGESTIONS)
        threshold = self.app.directory.alerts.flood_hotspots
        if threshold is None:
            return []
        now = self.app.clock()
        found = []
        for hotspot in self.read_side.model(FloodHotspotsModel).hotspots(now=now, agency=principal.agency):
            ward = self.app.directory.get_ward(hotspot.ward)
            active = self.alerts.find(now=now, ward=hotspot.ward, active=True)
            draft: dict[str, Any] = {"areas": [{"wards": [hotspot.ward]}]}
            if threshold.template is not None:
                draft["template"] = threshold.template
            found.append(
                AlertSuggestion(
                    **asdict(hotspot),
                    ward_name=ward.name if ward else hotspot.ward,
                    basis=threshold.basis,
                    active_alerts=tuple(alert.code for alert in active),
                    draft=draft,
                )
            )
        return found

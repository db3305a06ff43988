"""One name per case status, and one app name and language switch, shared by every
page family (``ihanoi_server.i18n``)."""

from __future__ import annotations

import pytest

from ihanoi_core.domain.grievance_values import ComplaintStatus
from ihanoi_core.domain.report_values import ReportStatus
from ihanoi_core.domain.service_request_values import DossierStatus
from ihanoi_server.dashboard.i18n import STRINGS as DASHBOARD
from ihanoi_server.i18n import EVERY_PAGE, LANGUAGES, STATUS_NAMES
from ihanoi_server.map.i18n import STRINGS as MAP
from ihanoi_server.public.i18n import STRINGS as PUBLIC

# The families whose cases the public page, the map and the dashboard show.
STATUSES = {str(status) for family in (ReportStatus, ComplaintStatus, DossierStatus) for status in family}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_status_of_the_shown_case_families_has_a_name_and_no_other_is_named(lang: str) -> None:
    assert set(STATUS_NAMES[lang]) == STATUSES
    assert all(name.strip() for name in STATUS_NAMES[lang].values())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_status_reads_the_same_on_the_public_page_the_map_and_the_dashboard(lang: str) -> None:
    for status in STATUSES:
        key = f"status_name.{status}"
        assert PUBLIC[lang][key] == MAP[lang][key] == DASHBOARD[lang][key] == STATUS_NAMES[lang][status]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_apps_name_and_the_language_switch_read_the_same_on_every_page(lang: str) -> None:
    # Each family once named the app in English its own way (three names for one app).
    for key, words in EVERY_PAGE[lang].items():
        assert PUBLIC[lang][key] == MAP[lang][key] == DASHBOARD[lang][key] == words

"""The public page of one field report, rendered on the server, and the layout
(``page``) the home page (``home``) shares with it.

A pure function from data to text: no request, no clock, no I/O. It needs no
script at all: landmarks (``header``, ``nav``, ``main``, ``footer``), one
``h1`` and ``h2`` per section, the page's ``lang`` and the language switch's
``hreflang``, times as ``<time datetime>``, and an ``alt`` for every photo.
Everything put into HTML goes through ``html.escape`` (text and attributes
alike), so a description holding markup is shown as text.

What it shows is what the public feed (``public_reports``) and the public
timeline (``public_results``) hold: never who filed the report or who acted on
it. A rejected report shows neither its text, its answers nor its photos.

Photos: uploaded photos the public may see, named by their sha256 digests
and served at ``/public/photos/{sha256}`` (the route reads them from the
``public_photos`` read model), then the report's ``media_urls`` as they were given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo

from ihanoi_core.directory import Directory
from ihanoi_core.domain.report_values import ReportStatus
from ihanoi_projections.public_reports import PublicReport
from ihanoi_projections.public_results.figures import TimelineStep
from ihanoi_server.dashboard.pages import e, head_start, lang_switch

STYLESHEET = "/public/static/public.css"
PHOTO_PATH = "/public/photos/{sha256}"
# Photos may live on a partner's server (media_url): images from anywhere over
# http(s), nothing else from anywhere but here, no script at all.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' https: http: data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def page(lang: str, text: Mapping[str, str], title: str, main: str, footer: str) -> str:
    """A public page: its head, the app's name and the language switch, ``title``
    as the heading of ``main``, then ``footer``."""
    return (
        f"{head_start(lang, title, text)}"
        f'<link rel="stylesheet" href="{STYLESHEET}">\n</head>\n<body>\n'
        f'<a class="skip" href="#main">{e(text["skip"])}</a>\n'
        f'<header>\n<p class="app-name">{e(text["app.name"])}</p>\n'
        f"<nav>{lang_switch(text)}</nav>\n</header>\n"
        f'<main id="main">\n<h1>{e(title)}</h1>\n{main}</main>\n'
        f"<footer><p>{e(footer)}</p></footer>\n"
        "</body>\n</html>\n"
    )


def _time(moment: datetime | None, zone: tzinfo, text: Mapping[str, str]) -> str:
    if moment is None:
        return e(text["value.none"])
    local = moment.astimezone(zone)
    return f'<time datetime="{e(local.isoformat())}">{local:%H:%M %d/%m/%Y}</time>'


def photo_urls(report: PublicReport, photos: Sequence[str]) -> list[str]:
    """The report's photos: uploaded ones (sha256 digests) first, then its media URLs."""
    return [PHOTO_PATH.format(sha256=digest) for digest in photos] + list(report.media_urls)


def report_page(
    lang: str,
    text: Mapping[str, str],
    report: PublicReport,
    timeline: Sequence[TimelineStep],
    directory: Directory,
    zone: tzinfo,
    photos: Sequence[str] = (),
) -> str:
    """``GET /public/reports/{code}``: the whole page; ``photos`` are the
    sha256 digests of the uploaded photos the public may see."""
    title = text["report.title"].format(code=report.code)
    main = "".join(
        (
            _summary(lang, text, report, directory, zone),
            _description(text, report, directory),
            _answer(text, report),
            _photos(text, report, photos),
            _timeline(lang, text, timeline, directory, zone),
        )
    )
    return page(lang, text, title, main, text["report.footer"])


def _summary(lang: str, text: Mapping[str, str], report: PublicReport, directory: Directory, zone: tzinfo) -> str:
    ward = directory.wards.get(report.ward)
    ward_name = (ward.name_en or ward.name if lang == "en" else ward.name) if ward else report.ward
    agency = directory.get_agency(report.agency) if report.agency else None
    agency_name = (agency.name_en or agency.name if lang == "en" else agency.name) if agency else report.agency_name
    rows = [
        ("report.category", e(report.service_name_en if lang == "en" else report.service_name), "category"),
        ("report.ward", e(ward_name), "ward"),
        ("report.address", e(report.address or text["value.none"]), "address"),
        ("report.agency", e(agency_name or text["value.none"]), "agency"),
        ("report.status", e(text.get(f"status_name.{report.status}", report.status)), "status"),
        ("report.received", _time(report.requested_at, zone, text), "received"),
        ("report.expected", _time(report.expected_at, zone, text), "expected"),
        ("report.updated", _time(report.updated_at, zone, text), "updated"),
    ]
    items = "".join(f'<dt>{e(text[label])}</dt><dd data-field="{name}">{value}</dd>\n' for label, value, name in rows)
    heading = f'<h2 id="summary">{e(text["report.summary"])}</h2>\n'
    return f'<section aria-labelledby="summary">\n{heading}<dl>\n{items}</dl>\n</section>\n'


def _description(text: Mapping[str, str], report: PublicReport, directory: Directory) -> str:
    heading = f'<h2 id="description">{e(text["report.description"])}</h2>\n'
    if report.status == ReportStatus.REJECTED:
        body = f'<p class="withheld">{e(text["report.withheld"])}</p>\n'
    else:
        body = f'<p class="description" data-field="description">{e(report.description)}</p>\n'
        body += _answers(text, report, directory)
    return f'<section aria-labelledby="description">\n{heading}{body}</section>\n'


def _answers(text: Mapping[str, str], report: PublicReport, directory: Directory) -> str:
    """The answers to the category's questions, worded as the category asks them."""
    if not report.attributes:
        return ""
    category = directory.get_category(report.service_code)
    questions = {item.code: item for item in category.attributes} if category else {}
    items = []
    for code, answer in report.attributes.items():
        item = questions.get(code)
        names = {value.key: value.name for value in item.values} if item else {}
        values = [answer] if isinstance(answer, str) else list(answer)
        shown = ", ".join(names.get(value, value) for value in values)
        items.append(
            f'<dt>{e(item.description if item else code)}</dt><dd data-attribute="{e(code)}">{e(shown)}</dd>\n'
        )
    return f'<h3>{e(text["report.answers"])}</h3>\n<dl class="answers">\n{"".join(items)}</dl>\n'


def _answer(text: Mapping[str, str], report: PublicReport) -> str:
    note = report.status_notes
    body = (
        f'<p class="answer" data-field="answer">{e(note)}</p>\n'
        if note
        else f'<p class="answer none">{e(text["report.no_answer"])}</p>\n'
    )
    return f'<section aria-labelledby="answer">\n<h2 id="answer">{e(text["report.answer"])}</h2>\n{body}</section>\n'


def _photos(text: Mapping[str, str], report: PublicReport, photos: Sequence[str]) -> str:
    heading = f'<h2 id="photos">{e(text["report.photos"])}</h2>\n'
    rejected = report.status == ReportStatus.REJECTED
    urls = [] if rejected else photo_urls(report, photos)
    if not urls:
        body = f"<p>{e(text['report.withheld' if rejected else 'report.no_photos'])}</p>\n"
    else:
        figures = "".join(
            f'<li><figure><img src="{e(url)}" alt="{e(text["report.photo_alt"].format(number=n, code=report.code))}"'
            ' loading="lazy" referrerpolicy="no-referrer"></figure></li>\n'
            for n, url in enumerate(urls, start=1)
        )
        body = f'<ul class="photos">\n{figures}</ul>\n'
    return f'<section aria-labelledby="photos">\n{heading}{body}</section>\n'


def _timeline(
    lang: str, text: Mapping[str, str], timeline: Sequence[TimelineStep], directory: Directory, zone: tzinfo
) -> str:
    items = []
    for step in timeline:
        agency = directory.get_agency(step.agency) if step.agency else None
        agency_name = (agency.name_en or agency.name if lang == "en" else agency.name) if agency else step.agency
        detail = f' <span class="agency">{e(agency_name)}</span>' if agency_name else ""
        note = f'<p class="note">{e(step.note)}</p>' if step.note else ""
        items.append(
            f'<li data-step="{e(step.step)}">{_time(step.at, zone, text)} '
            f"<strong>{e(text.get(f'step.{step.step}', step.step))}</strong>{detail}{note}</li>\n"
        )
    return (
        '<section aria-labelledby="timeline">\n'
        f'<h2 id="timeline">{e(text["report.timeline"])}</h2>\n'
        f'<p class="hint">{e(text["report.timeline_note"])}</p>\n'
        f'<ol class="timeline">\n{"".join(items)}</ol>\n</section>\n'
    )

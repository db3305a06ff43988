"""The leader dashboard's HTML pages, rendered on the server (its weekly chart: ``chart``).

Pure functions from data to text: no request, no clock, no I/O. Everything
put into HTML goes through ``html.escape`` (text and attributes alike),
and the strings a page's script needs travel as JSON inside a
``<script type="application/json">`` block with ``<``, ``>`` and ``&``
written as ``\\u003c``…, so no value can close the block.

The pages are shells: a city intranet may have no internet, so they load only
the server's own ``/dashboard/static/`` CSS and script (``Content-Security-Policy``
forbids anything else), and the script fetches the figures with the browser
session: the session cookie, opened once with a pasted (development) or
identity-provider token that is never kept or put in an address
(``api/session.py``), and follows the worklist stream with an ``EventSource``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

import orjson

STATIC_PREFIX = "/dashboard/static"
KINDS = ("report", "dossier", "complaint", "denunciation")
# The KPIs on the page, in order: (figure name, unit string key or "").
KPIS: tuple[tuple[str, str], ...] = (
    ("on_time_rate", "unit.percent"),
    ("overdue_now", "unit.cases"),
    ("median_hours_to_resolve", "unit.hours"),
    ("p90_hours_to_resolve", "unit.hours"),
    ("average_rating", "unit.rating"),
    ("reopen_rate", "unit.percent"),
    ("received", "unit.cases"),
    ("open", "unit.cases"),
    ("resolved", "unit.cases"),
)
# Only these reach the script: its labels, never the whole table.
SCRIPT_KEYS = (
    "login.expired",
    "login.empty",
    "status.loading",
    "status.error",
    "status.ready",
    "value.none",
    "number.decimal",
    "unit.percent",
    "scope.agency",
    "scope.all_agencies",
    "scope.period",
    "scope.as_of",
    "overdue.more",
    "case.empty",
    "case.error",
    "case.loading",
    "case.not_found",
    "live.connected",
    "live.unavailable",
    "official.total",
    "official.unassigned",
    "ranking.withheld",
)
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def e(value: object) -> str:
    """Text or attribute value, escaped for HTML and XML (quotes included)."""
    return escape(str(value), quote=True)


def script_json(data: object) -> str:
    """JSON safe inside a ``<script type="application/json">`` block."""
    text = orjson.dumps(data).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _script_strings(text: Mapping[str, str]) -> dict[str, str]:
    strings = {key: text[key] for key in SCRIPT_KEYS}
    strings.update({key: value for key, value in text.items() if key.startswith(("kind.", "status_name."))})
    return strings


def head_start(lang: str, title: str, text: Mapping[str, str]) -> str:
    """A page's start up to its title: in ``lang``, UTF-8, for phones too, sending
    no referrer and asking for no favicon."""
    return (
        f'<!DOCTYPE html>\n<html lang="{e(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{e(title)} · {e(text['app.name'])}</title>\n"
    )


def lang_switch(text: Mapping[str, str]) -> str:
    """The link to the same page in the other language."""
    other = text["lang.switch_code"]
    return (
        f'<a id="lang-switch" href="?lang={e(other)}" hreflang="{e(other)}" lang="{e(other)}">'
        f"{e(text['lang.switch'])}</a>"
    )


def _page(lang: str, text: Mapping[str, str], title: str, page: str, main: str, data: Mapping[str, str]) -> str:
    attributes = "".join(f' data-{e(name)}="{e(value)}"' for name, value in data.items())
    return (
        f"{head_start(lang, title, text)}"
        f'<link rel="stylesheet" href="{STATIC_PREFIX}/dashboard.css">\n'
        f'<script src="{STATIC_PREFIX}/dashboard.js" defer></script>\n</head>\n'
        f'<body data-page="{e(page)}" data-state="starting"{attributes}>\n'
        '<header class="bar">\n'
        f'<div><p class="app-name">{e(text["app.name"])}</p><h1>{e(title)}</h1></div>\n'
        "<nav>"
        f"{lang_switch(text)} "
        f'<button type="button" id="logout" hidden>{e(text["logout"])}</button>'
        "</nav>\n</header>\n"
        f"<main>\n{_login(text)}{main}</main>\n"
        f'<script type="application/json" id="i18n">{script_json(_script_strings(text))}</script>\n'
        "</body>\n</html>\n"
    )


def _login(text: Mapping[str, str]) -> str:
    # The token field has no ``name``: even without the script, a submitted
    # form could not carry it into an address.
    return (
        '<section id="login" class="card" hidden>\n'
        f"<h2>{e(text['login.title'])}</h2>\n"
        '<form id="login-form" autocomplete="off">\n'
        f'<label for="token">{e(text["login.label"])}</label>\n'
        '<input id="token" type="password" autocomplete="off" spellcheck="false" required>\n'
        f'<button type="submit" id="login-submit">{e(text["login.submit"])}</button>\n'
        f'<p class="hint">{e(text["login.hint"])}</p>\n'
        '<p id="login-error" class="error" role="alert" hidden></p>\n'
        "</form>\n</section>\n"
    )


def dashboard_page(lang: str, text: Mapping[str, str], agencies: Sequence[tuple[str, str]]) -> str:
    """``GET /dashboard``: the shell the script fills from ``/api/v1/dashboard``.
    ``agencies`` (code, name) fill the agency filter, shown to auditors only."""
    kinds = "".join(f'<option value="{e(kind)}">{e(text["kind." + kind])}</option>' for kind in KINDS)
    agency_options = "".join(f'<option value="{e(code)}">{e(name)}</option>' for code, name in agencies)
    kpis = "".join(
        f'<div class="kpi"><h3 data-label="{e(name)}">{e(text["kpi." + name])}</h3>'
        f'<p><span class="value" data-kpi="{e(name)}">{e(text["value.none"])}</span> '
        f'<span class="unit">{e(text[unit])}</span></p></div>\n'
        for name, unit in KPIS
    )
    main = (
        '<section id="app" hidden>\n'
        f'<form id="filters" class="card" aria-label="{e(text["filters.title"])}">\n'
        f'<label>{e(text["filters.period_start"])} <input type="date" id="period_start"></label>\n'
        f'<label>{e(text["filters.period_end"])} <input type="date" id="period_end"></label>\n'
        f'<label>{e(text["filters.kind"])} <select id="kind"><option value="">{e(text["filters.all_kinds"])}'
        f"</option>{kinds}</select></label>\n"
        f'<label id="agency-filter" hidden>{e(text["filters.agency"])} <select id="agency">'
        f'<option value="">{e(text["filters.all_agencies"])}</option>{agency_options}</select></label>\n'
        f'<button type="submit" id="apply">{e(text["filters.apply"])}</button>\n'
        "</form>\n"
        '<p id="status" role="status"></p>\n'
        '<p id="scope" class="scope"></p>\n'
        f'<div class="kpis">\n{kpis}</div>\n'
        f'<section class="card"><h2>{e(text["chart.title"])}</h2><div id="chart"></div></section>\n'
        f'<section class="card" id="live"><h2>{e(text["live.title"])}</h2>\n'
        '<p id="live-status" role="status" data-live="off"></p>\n'
        f'<p id="live-empty" class="hint">{e(text["live.waiting"])}</p>\n'
        '<ol id="live-events"></ol>\n'
        "</section>\n"
        f'<section class="card" id="by-agency-section" hidden><h2>{e(text["by_agency.title"])}</h2>\n'
        '<table id="by-agency"><thead><tr>'
        f"<th>{e(text['column.agency'])}</th><th>{e(text['kpi.received'])}</th>"
        f"<th>{e(text['kpi.on_time_rate'])}</th><th>{e(text['kpi.overdue_now'])}</th>"
        f"<th>{e(text['kpi.median_hours_to_resolve'])}</th><th>{e(text['kpi.average_rating'])}</th>"
        "</tr></thead><tbody></tbody></table></section>\n"
        f'<section class="card"><h2>{e(text["overdue.title"])}</h2>\n'
        '<table id="overdue"><thead><tr>'
        f"<th>{e(text['column.code'])}</th><th>{e(text['column.kind'])}</th>"
        f"<th>{e(text['column.agency'])}</th><th>{e(text['column.status'])}</th>"
        f"<th>{e(text['column.due_at'])}</th>"
        "</tr></thead><tbody></tbody></table>\n"
        f'<p id="overdue-empty" hidden>{e(text["overdue.empty"])}</p>\n'
        '<p id="overdue-more" class="hint" hidden></p>\n'
        "</section>\n"
        f"{_accountability(text)}{_fees(text)}{_ranking(text)}{_business(text)}{_channels(text)}"
        f'<p class="footnote">{e(text["footnote.cohort"])}</p>\n'
        "</section>\n"
    )
    return _page(lang, text, text["dashboard.title"], "dashboard", main, {})


def _ranking(text: Mapping[str, str]) -> str:
    """The last complete month's ranking of agencies, filled from ``/public/ranking``."""
    heads = "".join(
        f"<th>{e(text[key])}</th>"
        for key in ("column.rank", "column.agency", "column.finished", "kpi.on_time_rate", "column.missed")
    )
    return (
        f'<section class="card" id="ranking-section" hidden><h2>{e(text["ranking.title"])} '
        '<span id="ranking-month"></span></h2>\n'
        f'<p class="hint">{e(text["ranking.hint"])}</p>\n'
        f'<table id="ranking"><thead><tr>{heads}</tr></thead><tbody></tbody></table>\n'
        f'<p id="ranking-empty" hidden>{e(text["ranking.empty"])}</p>\n'
        "</section>\n"
    )


def _channels(text: Mapping[str, str]) -> str:
    """Zalo, Messenger and hotline figures per channel (issue #20), filled from
    ``/api/v1/conversations/figures``; hidden for those it refuses."""
    columns = ("channel", "conversations", "received", "sent", "cases", "without_case")
    heads = "".join(f"<th>{e(text['channels.' + name])}</th>" for name in columns)
    return (
        f'<section class="card" id="channels-section" hidden><h2>{e(text["channels.title"])}</h2>\n'
        f'<table id="channels"><thead><tr>{heads}</tr></thead><tbody></tbody></table>\n'
        f'<p id="channels-empty" hidden>{e(text["channels.empty"])}</p>\n'
        "</section>\n"
    )


def _business(text: Mapping[str, str]) -> str:
    """Business inquiries answered on time per agency (issue #18), from the dashboard's ``business_answers``."""
    keys = ("column.agency", "column.answered", "kpi.on_time_rate", "column.open", "kpi.overdue_now")
    heads = "".join(f"<th>{e(text[key])}</th>" for key in keys)
    return (
        f'<section class="card" id="business-section"><h2>{e(text["business.title"])}</h2>\n'
        f'<p class="hint">{e(text["business.hint"])}</p>\n'
        f'<table id="business"><thead><tr>{heads}</tr></thead><tbody></tbody></table>\n'
        f'<p id="business-empty" hidden>{e(text["business.empty"])}</p>\n'
        "</section>\n"
    )


def _accountability(text: Mapping[str, str]) -> str:
    """Per-official deadline figures and the long-delayed list (issue #16), filled
    from ``/api/v1/accountability``; hidden for those it refuses (officers)."""
    columns = ("official", "missed", "escalations_caused", "resolved_on_time", "resolved_late")
    heads = "".join(f"<th>{e(text['column.' + name])}</th>" for name in columns)
    # Working hours to finish (nearest rank), the citizens' ratings and the reopen rate.
    resolution_heads = "".join(
        f"<th>{e(text[key])}</th>"
        for key in (
            "kpi.median_hours_to_resolve",
            "kpi.p90_hours_to_resolve",
            "column.rated",
            "kpi.average_rating",
            "kpi.reopen_rate",
        )
    )
    return (
        f'<section class="card" id="accountability-section" hidden><h2>{e(text["accountability.title"])}</h2>\n'
        f'<p class="hint">{e(text["accountability.hint"])}</p>\n'
        f'<table id="accountability"><thead><tr>{heads}<th>{e(text["kpi.on_time_rate"])}</th>'
        f"<th>{e(text['kpi.overdue_now'])}</th>{resolution_heads}</tr></thead><tbody></tbody></table>\n"
        f"<h3>{e(text['long_delayed.title'])}</h3>\n"
        '<table id="long-delayed"><thead><tr>'
        f"<th>{e(text['column.code'])}</th><th>{e(text['column.kind'])}</th>"
        f"<th>{e(text['column.assignee'])}</th><th>{e(text['column.due_at'])}</th>"
        "</tr></thead><tbody></tbody></table>\n"
        f'<p id="long-delayed-empty" hidden>{e(text["long_delayed.empty"])}</p>\n'
        "</section>\n"
    )


def _fees(text: Mapping[str, str]) -> str:
    """Fees confirmed per day with the cashless share (issue #19), filled from
    ``/api/v1/payments/collections``; hidden for those it refuses."""
    heads = "".join(
        f"<th>{e(text[key])}</th>" for key in ("fees.day", "fees.count", "fees.amount", "fees.cashless_share")
    )
    return (
        f'<section class="card" id="fees-section" hidden><h2>{e(text["fees.title"])}</h2>\n'
        f'<p class="hint">{e(text["fees.hint"])}</p>\n'
        f'<table id="fees"><thead><tr>{heads}</tr></thead><tbody></tbody></table>\n'
        f'<p id="fees-empty" hidden>{e(text["fees.empty"])}</p>\n'
        "</section>\n"
    )


def case_page(lang: str, text: Mapping[str, str], case_ref: str) -> str:
    """``GET /dashboard/cases/{id}``: the shell that shows ``/api/v1/audit/{id}``."""
    main = (
        '<section id="app" hidden>\n'
        f'<p><a id="back" href="/dashboard?lang={e(lang)}">{e(text["case.back"])}</a></p>\n'
        f'<h2 id="case-ref">{e(case_ref)}</h2>\n'
        '<p id="status" role="status"></p>\n'
        '<table id="timeline" hidden><thead><tr>'
        f"<th>{e(text['column.time'])}</th><th>{e(text['column.event'])}</th>"
        f"<th>{e(text['column.actor'])}</th><th>{e(text['column.details'])}</th>"
        "</tr></thead><tbody></tbody></table>\n"
        "</section>\n"
    )
    return _page(lang, text, text["case.title"], "case", main, {"case": case_ref})

/*
 * ihanoi leader dashboard: fills the server-rendered shells of /dashboard and
 * /dashboard/cases/{id}. Self-contained (no libraries, no external requests).
 *
 * It reads the API with the browser session: an HttpOnly cookie this script
 * cannot read, opened once by POST /api/v1/session with a token (pasted here
 * in development; in a city deployment the identity provider's login hands it
 * over). The token is sent once, as a header, and then forgotten; it is never
 * stored or put in an address. Unsafe requests carry the session's CSRF token
 * (X-CSRF-Token), kept in memory only and read again from GET /api/v1/session
 * after a reload. Staff follow their worklist stream with an EventSource,
 * which sends the cookie (same origin) and needs no token either.
 * Every visible string comes from the page's i18n JSON block; every value from
 * the API is written with textContent or as an attribute, never as markup.
 * Numbers: rates as percentages and hours/ratings with one decimal, rounded
 * half up (floor(x * 10 + 0.5)), with the language's decimal separator.
 * body[data-state] says where the page is: login, loading, ready or error.
 */
(function () {
  "use strict";

  const FILTER_KEYS = ["period_start", "period_end", "kind", "agency"];
  const T = JSON.parse(document.getElementById("i18n").textContent);
  const LANG = document.documentElement.lang;
  const body = document.body;
  let sequence = 0;
  let session = null;
  let stream = null;
  let refreshTimer = null;

  function $(id) {
    return document.getElementById(id);
  }

  function setState(state) {
    body.dataset.state = state;
  }

  function say(text) {
    $("status").textContent = text;
  }

  class AuthError extends Error {}

  class ApiError extends Error {
    constructor(status, problem) {
      super("HTTP " + status);
      this.status = status;
      this.problem = problem;
    }

    describe() {
      const problem = this.problem || {};
      let text = "HTTP " + this.status;
      if (problem.detail) {
        text += ": " + problem.detail;
      }
      return text;
    }
  }

  async function api(path, options) {
    const init = Object.assign({ cache: "no-store", credentials: "same-origin" }, options || {});
    const response = await fetch(path, init);
    if (response.status === 401) {
      session = null;
      throw new AuthError();
    }
    if (!response.ok) {
      let problem = null;
      try {
        problem = await response.json();
      } catch (ignored) {
        problem = null;
      }
      throw new ApiError(response.status, problem);
    }
    return response;
  }

  // -- formatting --------------------------------------------------------------

  function fixed1(value) {
    const tenths = Math.floor(value * 10 + 0.5);
    return Math.trunc(tenths / 10) + T["number.decimal"] + (tenths % 10);
  }

  function formatFigure(name, value) {
    if (value === null || value === undefined) {
      return T["value.none"];
    }
    if (name.endsWith("_rate")) {
      return fixed1(value * 100);
    }
    if (name.includes("hours") || name === "average_rating") {
      return fixed1(value);
    }
    return String(value);
  }

  function withUnit(text, unit) {
    return text === T["value.none"] ? text : text + " " + unit;
  }

  function formatDay(iso) {
    return iso.slice(8, 10) + "/" + iso.slice(5, 7) + "/" + iso.slice(0, 4);
  }

  function formatMoment(iso) {
    // The server writes Hanoi time with its offset; show that wall-clock time.
    return formatDay(iso) + " " + iso.slice(11, 16);
  }

  function dayBefore(day) {
    const [year, month, date] = day.split("-").map(Number);
    return new Date(Date.UTC(year, month - 1, date - 1)).toISOString().slice(0, 10);
  }

  function agencyName(agency) {
    return LANG === "en" ? agency.name_en || agency.name : agency.name;
  }

  function agencyNameOf(code) {
    // The agency filter lists every agency of the directory, named in the page's language.
    for (const option of $("agency").options) {
      if (option.value === code) {
        return option.textContent;
      }
    }
    return code;
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) {
      td.className = className;
    }
    row.appendChild(td);
    return td;
  }

  // -- log in and out -----------------------------------------------------------

  function showLogin(message) {
    stopLive();
    $("login").hidden = false;
    $("app").hidden = true;
    $("logout").hidden = true;
    const error = $("login-error");
    error.textContent = message || "";
    error.hidden = !message;
    setState("login");
  }

  function showApp() {
    $("login").hidden = true;
    $("app").hidden = false;
    $("logout").hidden = false;
  }

  function onFailure(error, prefix) {
    if (error instanceof AuthError) {
      showLogin(T["login.expired"]);
      return;
    }
    const detail = error instanceof ApiError ? error.describe() : String(error);
    say(prefix + " (" + detail + ")");
    setState("error");
  }

  // -- the dashboard -----------------------------------------------------------------

  function filterFromInputs() {
    const params = new URLSearchParams();
    for (const key of FILTER_KEYS) {
      const value = $(key).value;
      if (value && !(key === "agency" && $("agency-filter").hidden)) {
        params.set(key, value);
      }
    }
    return params;
  }

  function filterFromAddress() {
    const given = new URLSearchParams(window.location.search);
    const params = new URLSearchParams();
    for (const key of FILTER_KEYS) {
      const value = given.get(key);
      if (value) {
        params.set(key, value);
        const input = $(key);
        if (input.type !== "date" || /^\d{4}-\d{2}-\d{2}$/.test(value)) {
          input.value = value;
        }
      }
    }
    return params;
  }

  function remember(params) {
    const here = new URLSearchParams(params);
    here.set("lang", LANG);
    window.history.replaceState(null, "", "?" + here.toString());
    const switcher = $("lang-switch");
    const there = new URLSearchParams(params);
    there.set("lang", switcher.getAttribute("hreflang"));
    switcher.setAttribute("href", "?" + there.toString());
  }

  function renderScope(data) {
    const who = data.agency ? T["scope.agency"] + ": " + agencyName(data.agency) : T["scope.all_agencies"];
    let end = data.period.end.slice(0, 10);
    if (data.period.end.slice(11, 19) === "00:00:00") {
      end = dayBefore(end);
    }
    $("scope").textContent =
      who + " · " + T["scope.period"] + ": " + formatDay(data.period.start) + " – " + formatDay(end) +
      " · " + T["scope.as_of"] + " " + formatMoment(data.as_of);
    if (!$("period_start").value) {
      $("period_start").value = data.period.start.slice(0, 10);
    }
    if (!$("period_end").value) {
      $("period_end").value = end;
    }
  }

  function renderKpis(figures) {
    for (const element of document.querySelectorAll("[data-kpi]")) {
      const name = element.dataset.kpi;
      const value = figures[name];
      element.textContent = formatFigure(name, value);
      element.dataset.value = value === null || value === undefined ? "" : String(value);
    }
  }

  function renderByAgency(data) {
    const section = $("by-agency-section");
    section.hidden = data.agency !== null;
    fillTable("by-agency", data.by_agency, (row, entry) => {
      row.dataset.agency = entry.agency.code;
      cell(row, agencyName(entry.agency));
      cell(row, formatFigure("received", entry.figures.received), "number");
      cell(row, withUnit(formatFigure("on_time_rate", entry.figures.on_time_rate), T["unit.percent"]), "number");
      cell(row, formatFigure("overdue_now", entry.figures.overdue_now), "number");
      cell(row, formatFigure("median_hours_to_resolve", entry.figures.median_hours_to_resolve), "number");
      cell(row, formatFigure("average_rating", entry.figures.average_rating), "number");
    });
  }

  // Fill the body of the table ``id`` with one row per item, made by fill(row, item).
  function fillTable(id, items, fill) {
    const rows = $(id).tBodies[0];
    rows.replaceChildren();
    for (const item of items) {
      const row = document.createElement("tr");
      fill(row, item);
      rows.appendChild(row);
    }
  }

  // A cell linking to the case's history page, in this page's language; returns the link.
  function caseLinkCell(row, caseId, code) {
    const link = document.createElement("a");
    link.href = "/dashboard/cases/" + encodeURIComponent(caseId) + "?lang=" + encodeURIComponent(LANG);
    link.textContent = code;
    link.dataset.caseId = caseId;
    row.appendChild(document.createElement("td")).appendChild(link);
    return link;
  }

  function renderOverdue(overdue) {
    fillTable("overdue", overdue.items, (row, item) => {
      caseLinkCell(row, item.id, item.code).className = "case-link";
      cell(row, T["kind." + item.kind] || item.kind);
      cell(row, item.agency ? agencyNameOf(item.agency) : T["value.none"]);
      cell(row, T["status_name." + item.status] || item.status);
      cell(row, formatMoment(item.due_at), "number");
    });
    $("overdue-empty").hidden = overdue.items.length > 0;
    $("overdue-more").hidden = !overdue.more;
    $("overdue-more").textContent = overdue.more ? T["overdue.more"] : "";
  }

  function officialName(official) {
    if (official === "") {
      return T["official.total"];
    }
    return official === "(unassigned)" ? T["official.unassigned"] : official;
  }

  function renderAccountability(view) {
    fillTable("accountability", view.figures, (row, entry) => {
      row.dataset.official = entry.official;
      cell(row, officialName(entry.official));
      for (const name of ["missed", "escalations_caused", "resolved_on_time", "resolved_late"]) {
        cell(row, String(entry[name]), "number").dataset.figure = name;
      }
      const rate = withUnit(formatFigure("on_time_rate", entry.on_time_rate), T["unit.percent"]);
      cell(row, rate, "number").dataset.figure = "on_time_rate";
      cell(row, String(entry.overdue_now), "number").dataset.figure = "overdue_now";
      for (const name of ["median_hours_to_resolve", "p90_hours_to_resolve", "rated", "average_rating"]) {
        cell(row, formatFigure(name, entry[name]), "number").dataset.figure = name;
      }
      const reopens = withUnit(formatFigure("reopen_rate", entry.reopen_rate), T["unit.percent"]);
      cell(row, reopens, "number").dataset.figure = "reopen_rate";
    });
    fillTable("long-delayed", view.long_delayed, (row, item) => {
      caseLinkCell(row, item.case_id, item.code);
      cell(row, T["kind." + item.kind] || item.kind);
      cell(row, item.assignee || T["value.none"]);
      cell(row, formatMoment(item.due_at), "number");
    });
    $("long-delayed-empty").hidden = view.long_delayed.length > 0;
    $("accountability-section").hidden = false;
  }

  async function loadSection(section, path, render) {
    // A section of figures not every viewer may read: hidden when the answer
    // at path is refused, else drawn by render; a lapsed session still signs out.
    let figures;
    try {
      figures = await (await api(path)).json();
    } catch (error) {
      if (error instanceof AuthError) {
        throw error;
      }
      section.hidden = true;
      return;
    }
    render(figures);
  }

  async function loadAccountability(data) {
    // Leaders read their own agency's figures, auditors the agency they chose;
    // for anyone else (an officer: 403) the section stays hidden.
    const section = $("accountability-section");
    let path = null;
    if (data.viewer.role === "leader") {
      path = "/api/v1/accountability";
    } else if (data.viewer.role === "auditor" && data.agency) {
      path = "/api/v1/accountability?agency=" + encodeURIComponent(data.agency.code);
    }
    if (path === null) {
      section.hidden = true;
      return;
    }
    await loadSection(section, path, renderAccountability);
  }

  function renderFees(figures) {
    fillTable("fees", figures.days, (row, day) => {
      row.dataset.day = day.day;
      cell(row, formatDay(day.day));
      cell(row, String(day.fees), "number").dataset.figure = "fees";
      cell(row, day.amount.toLocaleString(LANG === "en" ? "en" : "vi"), "number").dataset.figure = "amount";
      const share = day.cashless_share === null ? T["value.none"] : String(Math.round(day.cashless_share * 1000) / 10);
      cell(row, withUnit(share, T["unit.percent"]), "number").dataset.figure = "cashless_share";
    });
    $("fees-empty").hidden = figures.days.length > 0;
    $("fees-section").hidden = false;
  }

  async function loadFees(data) {
    // Staff read their own agency's fees, auditors the agency they chose or the city.
    const path = "/api/v1/payments/collections" +
      (data.viewer.role === "auditor" && data.agency ? "?agency=" + encodeURIComponent(data.agency.code) : "");
    await loadSection($("fees-section"), path, renderFees);
  }

  function renderChannels(figures) {
    fillTable("channels", figures, (row, entry) => {
      cell(row, entry.channel);
      for (const name of ["conversations", "received", "sent", "cases", "without_case"]) {
        cell(row, String(entry[name]), "number");
      }
    });
    $("channels-empty").hidden = figures.length > 0;
    $("channels-section").hidden = false;
  }

  async function loadChannels() {
    // Zalo, Messenger and hotline threads (issue #20): staff and auditors; hidden for anyone refused.
    await loadSection($("channels-section"), "/api/v1/conversations/figures", renderChannels);
  }

  function renderRanking(ranking, own) {
    $("ranking-month").textContent = ranking.month.slice(5, 7) + "/" + ranking.month.slice(0, 4);
    fillTable("ranking", ranking.agencies, (row, entry) => {
      row.dataset.agency = entry.agency;
      if (entry.agency === own) {
        row.className = "own";
      }
      cell(row, entry.withheld ? T["value.none"] : String(entry.rank), "number");
      cell(row, LANG === "en" ? entry.name_en || entry.name : entry.name);
      if (entry.withheld) {
        cell(row, T["ranking.withheld"]).colSpan = 3;
      } else {
        cell(row, String(entry.finished), "number");
        cell(row, withUnit(formatFigure("on_time_rate", entry.on_time_rate), T["unit.percent"]), "number");
        cell(row, String(entry.missed), "number");
      }
    });
    $("ranking-empty").hidden = ranking.agencies.length > 0;
    $("ranking-section").hidden = false;
  }

  function renderBusiness(rates) {
    fillTable("business", rates, (row, entry) => {
      row.dataset.agency = entry.agency;
      cell(row, agencyNameOf(entry.agency));
      cell(row, String(entry.answered), "number");
      cell(row, withUnit(formatFigure("on_time_rate", entry.on_time_rate), T["unit.percent"]), "number");
      cell(row, String(entry.open), "number");
      cell(row, String(entry.overdue), "number");
    });
    $("business-empty").hidden = rates.length > 0;
  }

  async function loadRanking(data) {
    // Published, so public: the last complete month, whoever reads the page.
    try {
      renderRanking(await (await api("/public/ranking")).json(), data.agency ? data.agency.code : null);
    } catch (error) {
      $("ranking-section").hidden = true;
    }
  }

  function renderChart(svgText) {
    const parsed = new DOMParser().parseFromString(svgText, "image/svg+xml");
    const root = parsed.documentElement;
    if (root.nodeName !== "svg" || parsed.getElementsByTagName("parsererror").length) {
      throw new Error("chart");
    }
    $("chart").replaceChildren(document.importNode(root, true));
  }

  async function loadDashboard(params, position) {
    const mine = ++sequence;
    setState("loading");
    say(T["status.loading"]);
    const query = params.toString();
    const read = new URLSearchParams(params);
    if (position) {
      read.set("position", String(position));
    }
    const readQuery = read.toString();
    try {
      const data = await (await api("/api/v1/dashboard" + (readQuery ? "?" + readQuery : ""))).json();
      if (mine !== sequence) {
        return;
      }
      $("agency-filter").hidden = data.viewer.role !== "auditor";
      renderScope(data);
      renderKpis(data.figures);
      renderByAgency(data);
      renderOverdue(data.overdue);
      renderBusiness(data.business_answers || []);
      // The chart is drawn for exactly the period the figures were read for.
      const chart = new URLSearchParams({ period_start: data.period.start, period_end: data.period.end });
      if (data.kind) {
        chart.set("kind", data.kind);
      }
      if (data.agency && data.viewer.role === "auditor") {
        chart.set("agency", data.agency.code);
      }
      chart.set("lang", LANG);
      const svg = await (await api("/dashboard/chart.svg?" + chart.toString())).text();
      if (mine !== sequence) {
        return;
      }
      renderChart(svg);
      await loadAccountability(data);
      await loadFees(data);
      await loadRanking(data);
      await loadChannels();
      if (mine !== sequence) {
        return;
      }
      remember(params);
      body.dataset.query = query;
      say(T["status.ready"]);
      setState("ready");
    } catch (error) {
      if (mine === sequence) {
        onFailure(error, T["status.error"]);
      }
    }
  }

  // -- live updates (the worklist stream, through the session cookie) --------------

  function stopLive() {
    if (stream) {
      stream.close();
      stream = null;
    }
    window.clearTimeout(refreshTimer);
  }

  function liveStatus(text, state) {
    const status = $("live-status");
    if (status) {
      status.textContent = text;
      status.dataset.live = state;
    }
  }

  function showChange(change) {
    const row = document.createElement("li");
    row.className = "live-event";
    row.dataset.position = String(change.position);
    row.dataset.caseId = change.case_id;
    const time = typeof change.at === "string" ? formatMoment(change.at) : "";
    row.textContent = [time, change.code, T["kind." + change.kind] || change.kind, change.event,
      T["status_name." + change.status] || change.status].filter(Boolean).join(" · ");
    const list = $("live-events");
    list.insertBefore(row, list.firstChild);
    while (list.children.length > 20) {
      list.removeChild(list.lastChild);
    }
    $("live-empty").hidden = true;
  }

  function startLive(reload) {
    stopLive();
    if (!$("live")) {
      return;
    }
    if (!session || (session.role !== "officer" && session.role !== "leader")) {
      liveStatus(T["live.unavailable"], "unavailable");
      return;
    }
    stream = new EventSource("/api/v1/worklist/stream");
    stream.onopen = function () {
      liveStatus(T["live.connected"], "on");
    };
    stream.addEventListener("case", function (event) {
      const change = JSON.parse(event.data);
      showChange(change);
      // The figures once the read models have this change (?position= waits for it).
      window.clearTimeout(refreshTimer);
      refreshTimer = window.setTimeout(function () {
        reload(change.position);
      }, 500);
    });
    stream.addEventListener("reconnect", function (event) {
      const reason = JSON.parse(event.data).reason;
      if (reason === "token_expired") {
        stopLive();
        session = null;
        showLogin(T["login.expired"]);
      }
      // Otherwise the EventSource reconnects by itself, with its Last-Event-ID.
    });
    stream.onerror = function () {
      if (stream && stream.readyState === EventSource.CLOSED) {
        liveStatus("", "off");
      }
    };
  }

  function startDashboard() {
    $("filters").addEventListener("submit", function (event) {
      event.preventDefault();
      loadDashboard(filterFromInputs());
    });
    function reload(position) {
      loadDashboard(new URLSearchParams(body.dataset.query || ""), position);
    }
    return function () {
      loadDashboard(filterFromAddress());
      startLive(reload);
    };
  }

  // -- a case's history ---------------------------------------------------------------

  const TIME_KEYS = ["at", "timestamp", "time", "recorded_at", "occurred_at"];
  const EVENT_KEYS = ["event", "name", "type", "topic"];
  const LIST_KEYS = ["events", "history", "timeline", "items", "entries"];

  function firstOf(entry, keys) {
    for (const key of keys) {
      if (entry[key] !== undefined && entry[key] !== null) {
        return entry[key];
      }
    }
    return null;
  }

  function describeActor(actor) {
    if (actor === null || actor === undefined) {
      return T["value.none"];
    }
    if (typeof actor !== "object") {
      return String(actor);
    }
    return [actor.subject, actor.role, actor.agency].filter(Boolean).join(" · ");
  }

  function renderTimeline(data) {
    let entries = Array.isArray(data) ? data : null;
    for (const key of LIST_KEYS) {
      if (!entries && data && Array.isArray(data[key])) {
        entries = data[key];
      }
    }
    if (data && !Array.isArray(data) && data.code) {
      $("case-ref").textContent = data.code;
    }
    entries = entries || [];
    fillTable("timeline", entries, (row, entry) => {
      row.className = "event";
      const when = firstOf(entry, TIME_KEYS);
      cell(row, typeof when === "string" && when.length >= 16 ? formatMoment(when) : String(when ?? ""));
      cell(row, String(firstOf(entry, EVENT_KEYS) ?? ""));
      cell(row, describeActor(entry.actor ?? entry.principal));
      const details = document.createElement("pre");
      details.textContent = JSON.stringify(entry, null, 2);
      row.appendChild(document.createElement("td")).appendChild(details);
    });
    $("timeline").hidden = entries.length === 0;
    say(entries.length ? "" : T["case.empty"]);
  }

  async function loadCase() {
    setState("loading");
    say(T["case.loading"]);
    try {
      const response = await api("/api/v1/audit/" + encodeURIComponent(body.dataset.case));
      renderTimeline(await response.json());
      setState("ready");
    } catch (error) {
      // A 404 from the route itself (no_such_route) is not a missing case.
      const missing = error instanceof ApiError && error.status === 404 && (error.problem || {}).code !== "no_such_route";
      const prefix = missing ? T["case.not_found"] : T["case.error"];
      onFailure(error, prefix);
    }
  }

  // -- start -------------------------------------------------------------------------

  async function openSession(token) {
    // The one request that carries the token; the answer sets the session cookie.
    const response = await api("/api/v1/session", { method: "POST", headers: { Authorization: "Bearer " + token } });
    session = await response.json();
  }

  async function resumeSession() {
    try {
      session = await (await api("/api/v1/session")).json();
      return true;
    } catch (error) {
      return false;
    }
  }

  async function closeSession() {
    stopLive();
    const csrf = session ? session.csrf_token : "";
    session = null;
    try {
      await api("/api/v1/session", { method: "DELETE", headers: { "X-CSRF-Token": csrf || "" } });
    } catch (ignored) {
      // Signed out here either way: the cookie is cleared or already worthless.
    }
  }

  async function start() {
    const load = body.dataset.page === "case" ? loadCase : startDashboard();
    $("login-form").addEventListener("submit", async function (event) {
      event.preventDefault();
      const pasted = $("token").value.trim().replace(/^bearer\s+/i, "");
      $("token").value = "";
      if (!pasted) {
        showLogin(T["login.empty"]);
        return;
      }
      try {
        await openSession(pasted);
      } catch (error) {
        showLogin(error instanceof AuthError ? T["login.expired"] : String(error));
        return;
      }
      showApp();
      load();
    });
    $("logout").addEventListener("click", async function () {
      await closeSession();
      showLogin("");
    });
    if (await resumeSession()) {
      showApp();
      load();
    } else {
      showLogin("");
    }
  }

  start();
})();

/* ihanoi public map: draws /public/reports.geojson with Leaflet and markercluster,
 * and the alerts in force (/public/alerts?active=true) under them.
 * Everything visible comes from the page's JSON block (#map-config); text is
 * put in with textContent, never as HTML. The page works without a basemap:
 * with no tile URL, or when tiles fail, the markers sit on a plain grid. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var text = config.strings;
  var body = document.body;
  var LIMIT = 2000;
  var STATUS_COLOURS = { open: "#b91c1c", closed: "#15803d" };

  function $(id) { return document.getElementById(id); }

  function setState(state, message) {
    body.dataset.state = state;
    $("state").textContent = message || "";
  }

  var map = L.map("map", { center: config.centre, zoom: 13, minZoom: 3, maxZoom: 19, worldCopyJump: false });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');

  function basemap(state, key) {
    body.dataset.basemap = state;
    var note = $("basemap-note");
    note.hidden = !key;
    note.textContent = key ? text[key] : "";
  }

  if (config.tile_url) {
    var loaded = 0, failed = 0;
    var tiles = L.tileLayer(config.tile_url, { maxZoom: 19, attribution: "", crossOrigin: false });
    // The attribution is plain text: escaped before Leaflet writes it as HTML.
    var holder = document.createElement("span");
    holder.textContent = config.attribution;
    tiles.options.attribution = holder.innerHTML;
    tiles.on("tileload", function () { loaded += 1; if (body.dataset.basemap !== "loaded") { basemap("loaded", ""); } });
    tiles.on("tileerror", function () { failed += 1; if (!loaded) { basemap("failed", "basemap.failed"); } });
    tiles.addTo(map);
  } else {
    basemap("none", "basemap.none");
  }

  var clusters = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50, chunkedLoading: true });
  map.addLayer(clusters);

  function line(label, value) {
    var p = document.createElement("p");
    if (label) {
      var strong = document.createElement("strong");
      strong.textContent = label + ": ";
      p.appendChild(strong);
    }
    p.appendChild(document.createTextNode(value));
    return p;
  }

  // A coloured label: its class names the colour, its text is the page's string for key.
  function badge(className, key, fallback) {
    var span = document.createElement("span");
    span.className = className;
    span.textContent = text[key] || fallback;
    return span;
  }

  function statusBadge(props) {
    return badge("status " + props.open311_status, "status_name." + props.status, props.status);
  }

  function popup(props) {
    var box = document.createElement("div");
    box.className = "popup";
    var title = document.createElement("h3");
    title.textContent = props.code + " · " + (config.lang === "en" ? props.service_name_en : props.service_name);
    box.appendChild(title);
    var status = document.createElement("p");
    status.appendChild(statusBadge(props));
    box.appendChild(status);
    if (props.description) { box.appendChild(line("", props.description.slice(0, 280))); }
    if (props.address) { box.appendChild(line("", props.address)); }
    box.appendChild(line(text["popup.filed"], new Date(props.requested_at).toLocaleString(config.lang === "en" ? "en-GB" : "vi-VN")));
    if (props.agency_name) { box.appendChild(line(text["popup.agency"], props.agency_name)); }
    if (props.status_notes) { box.appendChild(line(text["popup.answer"], props.status_notes)); }
    var supports = document.createElement("p");
    supports.className = "supports";
    supports.textContent = props.support_count + " " + text["popup.supports"];
    box.appendChild(supports);
    return box;
  }

  function query() {
    var bounds = map.getBounds();
    var params = new URLSearchParams();
    var west = Math.max(-180, bounds.getWest()), east = Math.min(180, bounds.getEast());
    var south = Math.max(-90, bounds.getSouth()), north = Math.min(90, bounds.getNorth());
    params.set("bbox", [west, south, east, north].map(function (v) { return v.toFixed(6); }).join(","));
    ["category", "status", "ward"].forEach(function (name) {
      var value = $(name).value;
      if (value) { params.set(name, value); }
    });
    params.set("limit", String(LIMIT));
    return "/public/reports.geojson?" + params.toString();
  }

  function show(collection) {
    clusters.clearLayers();
    var markers = [];
    var list = $("list");
    list.textContent = "";
    collection.features.forEach(function (feature, index) {
      var props = feature.properties;
      var coordinates = feature.geometry.coordinates; // [longitude, latitude]
      var marker = L.circleMarker([coordinates[1], coordinates[0]], {
        radius: 7 + Math.min(6, props.support_count), color: "#ffffff", weight: 1.5,
        fillColor: STATUS_COLOURS[props.open311_status] || "#1d4ed8", fillOpacity: 0.9,
        className: "report-marker",
      });
      marker.feature = feature;
      marker.bindPopup(function () { return popup(props); });
      markers.push(marker);
      if (index < 50) {
        var item = document.createElement("li");
        item.dataset.code = props.code;
        item.appendChild(document.createTextNode(props.code + " — "));
        item.appendChild(statusBadge(props));
        item.appendChild(document.createTextNode(" " + (config.lang === "en" ? props.service_name_en : props.service_name) +
          (props.address ? " · " + props.address : "") + " · " + props.support_count + " " + text["popup.supports"]));
        list.appendChild(item);
      }
    });
    clusters.addLayers(markers);
    $("count").textContent = String(collection.features.length);
    $("count").dataset.count = String(collection.features.length);
    $("more").hidden = !collection.next;
    $("list-empty").hidden = collection.features.length > 0;
  }

  var pending = null;
  var generation = 0;
  function refresh() {
    generation += 1;
    var mine = generation;
    setState("loading", text["state.loading"]);
    fetch(query(), { headers: { Accept: "application/geo+json" }, credentials: "omit" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (collection) {
        if (mine !== generation) { return; }
        show(collection);
        body.dataset.query = query();
        setState("ready", "");
      })
      .catch(function () {
        if (mine === generation) { setState("error", text["state.error"]); }
      });
  }
  function soon() {
    if (pending) { clearTimeout(pending); }
    pending = setTimeout(refresh, 150);
  }

  /* The alerts in force, in a pane under the reports: each area's polygon and
   * circles; an area given by wards alone as a dashed circle round each ward's
   * approximate centre (the directory has centres, not boundaries). */
  var SEVERITY_COLOURS = { Extreme: "#7f1d1d", Severe: "#dc2626", Moderate: "#ea580c", Minor: "#ca8a04", Unknown: "#6b7280" };
  var WARD_RADIUS_M = 600;
  map.createPane("alerts");
  map.getPane("alerts").style.zIndex = "350";
  var alertLayer = L.layerGroup().addTo(map);

  function localised(alert, name) {
    return config.lang === "en" && alert[name + "_en"] ? alert[name + "_en"] : alert[name];
  }

  function severityBadge(alert) {
    return badge("severity " + alert.severity, "severity." + alert.severity, alert.severity);
  }

  function areaNames(alert) {
    return alert.areas.map(function (area) {
      return area.description || area.wards.map(function (ward) { return config.ward_names[ward] || ward; }).join(", ");
    }).join("; ");
  }

  function alertPopup(alert) {
    var box = document.createElement("div");
    box.className = "popup alert-popup";
    var title = document.createElement("h3");
    title.textContent = localised(alert, "headline");
    box.appendChild(title);
    var kind = document.createElement("p");
    kind.appendChild(severityBadge(alert));
    kind.appendChild(document.createTextNode(" " + localised(alert, "event")));
    box.appendChild(kind);
    var instruction = localised(alert, "instruction");
    if (instruction) { box.appendChild(line("", instruction.slice(0, 280))); }
    box.appendChild(line(text["alerts.areas"], areaNames(alert)));
    box.appendChild(line(text["alerts.until"], new Date(alert.expires).toLocaleString(config.lang === "en" ? "en-GB" : "vi-VN")));
    var link = document.createElement("a");
    link.href = alert.cap_url;
    link.textContent = text["alerts.cap"];
    box.appendChild(link);
    return box;
  }

  function shapesOf(alert) {
    var colour = SEVERITY_COLOURS[alert.severity] || SEVERITY_COLOURS.Unknown;
    function style(extra) {
      var options = { pane: "alerts", color: colour, weight: 2, fillColor: colour, fillOpacity: 0.15,
                      className: "alert-area alert-" + alert.severity };
      Object.keys(extra).forEach(function (key) { options[key] = extra[key]; });
      return options;
    }
    var shapes = [];
    alert.areas.forEach(function (area) {
      var drawn = [];
      if (area.polygon.length) { drawn.push(L.polygon(area.polygon, style({}))); }
      area.circles.forEach(function (circle) {
        drawn.push(L.circle([circle.latitude, circle.longitude], style({ radius: circle.radius_km * 1000 })));
      });
      if (!drawn.length) {
        area.wards.forEach(function (ward) {
          var centre = config.ward_centres[ward];
          if (centre) { drawn.push(L.circle(centre, style({ radius: WARD_RADIUS_M, dashArray: "6 4" }))); }
        });
      }
      shapes = shapes.concat(drawn);
    });
    return shapes;
  }

  function showAlerts(page) {
    alertLayer.clearLayers();
    var list = $("alert-list");
    list.textContent = "";
    page.items.forEach(function (alert) {
      shapesOf(alert).forEach(function (shape) {
        shape.bindPopup(function () { return alertPopup(alert); });
        alertLayer.addLayer(shape);
        var element = shape.getElement && shape.getElement();
        if (element) { element.setAttribute("data-code", alert.code); }
      });
      var item = document.createElement("li");
      item.dataset.code = alert.code;
      item.dataset.severity = alert.severity;
      item.appendChild(severityBadge(alert));
      item.appendChild(document.createTextNode(" " + localised(alert, "headline") + " — " + areaNames(alert)));
      list.appendChild(item);
    });
    $("alerts").dataset.count = String(page.items.length);
    $("alerts-empty").hidden = page.items.length > 0;
    body.dataset.alerts = "ready";
  }

  function loadAlerts() {
    fetch("/public/alerts?active=true&limit=200", { headers: { Accept: "application/json" }, credentials: "omit" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(showAlerts)
      .catch(function () {
        body.dataset.alerts = "error";
        $("alerts-empty").hidden = false;
        $("alerts-empty").textContent = text["alerts.error"];
      });
  }

  ["category", "status", "ward"].forEach(function (name) { $(name).addEventListener("change", refresh); });
  $("filters").addEventListener("submit", function (event) { event.preventDefault(); refresh(); });
  map.on("moveend", soon);
  refresh();
  loadAlerts();
})();

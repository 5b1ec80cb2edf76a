// The query page: YASGUI (vendored, /web/vendor/yasgui/) against this service's /sparql, set up for
// this graph: our prefixes and vocabulary for completion (no prefix.cc, no LOV), the named questions
// from /queries, a results table in Norwegian with labels, a line chart of our own (YASR's chart
// plugin would load Google Charts from a CDN), readable syntax errors. Nothing leaves this host.
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("sdggraph-config").textContent);
  const wanted = decodeURIComponent((location.hash.match(/^#q=(.+)$/) || [])[1] || ""); // YASGUI rewrites the URL
  const $ = (id) => document.getElementById(id);
  const Yasqe = Yasgui.Yasqe;
  const Yasr = Yasgui.Yasr;
  const XSD = "http://www.w3.org/2001/XMLSchema#";
  const NUMERIC = new Set(["decimal", "integer", "double", "float", "int", "long", "short", "byte",
    "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger",
    "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte"].map((name) => XSD + name));
  const prefixes = Object.entries(config.prefixes).sort((a, b) => b[1].length - a[1].length);
  const HEADINGS = { // variable names as column headings; others are split at capitals
    indicator: "Indikator", id: "ID", label: "Navn", year: "År", value: "Verdi", status: "Status",
    printed: "Trykt verdi", unit: "Enhet", threshold: "Terskel", goal: "FN-mål", target: "FN-delmål",
    area: "Satsingsområde", mainGoal: "Hovedmål", subGoal: "Delmål", subgoal: "Delmål", plan: "Temaplan",
    serviceArea: "Tjenesteområde", challenge: "Samfunnsfloke", observation: "Observasjon", count: "Antall",
    reason: "Begrunnelse", note: "Merknad", comparator: "Sammenligning", adoptionDate: "Vedtatt",
    mandateDecisionDate: "Mandat vedtatt", mandateDecisionPrecision: "Presisjon", toBeRevised: "Skal revideres",
    focusArea: "Satsingsområde", askerGoal: "Askers mål", askerGoals: "Askers mål", indicators: "Indikatorer",
    mainGoals: "Hovedmål", subgoals: "Delmål", focusAreas: "Satsingsområder", observations: "Observasjoner",
    hasIndicator: "Har indikator", hasReason: "Har begrunnelse", level: "Nivå", link: "Kobling",
    missingYear: "Mangler år", name: "Navn", notation: "Kode", reference: "Referanse", resource: "Ressurs",
    step: "Steg", type: "Type", via: "Via", matchedBy: "Funnet som",
    thresholdValue: "Terskelverdi", latestYear: "Siste år", previousYear: "Året før",
    askerLatest: "Asker siste år", askerPrevious: "Asker året før", baerumLatest: "Bærum siste år",
    drammenLatest: "Drammen siste år", lillestromLatest: "Lillestrøm siste år",
    kostraGroupLatest: "KOSTRA-gruppe 12 siste år", comparedWithGroup: "Mot KOSTRA-gruppe 12",
    functions: "KOSTRA-funksjoner",
  };

  // ---- Norwegian numbers ----

  // A literal's lexical form with decimal comma and no-break-space thousands ("12345.5" → "12 345,5").
  // Four-digit integers stay ungrouped (Norwegian usage allows both; years read better).
  function formatNumber(lexical) {
    const match = /^([+-]?)(\d+)(?:\.(\d*))?$/.exec(String(lexical).trim());
    if (!match) {
      const number = Number(lexical);
      return Number.isFinite(number) ? new Intl.NumberFormat("nb-NO", { maximumSignificantDigits: 15 }).format(number)
        : String(lexical);
    }
    const digits = match[2].length > 4 ? match[2].replace(/\B(?=(\d{3})+(?!\d))/g, "\u00a0") : match[2];
    return (match[1] === "-" ? "-" : "") + digits + (match[3] ? "," + match[3] : "");
  }
  const seconds = (ms) => formatNumber((ms / 1000).toFixed(ms < 10000 ? 2 : 1));

  // ---- terms ----

  function localHref(iri) {
    // IRIs this graph mints are served at their path; any other IRI at /resource?iri=
    if (iri.startsWith(config.base) && iri.length > config.base.length) return "/" + iri.slice(config.base.length);
    return "/resource?iri=" + encodeURIComponent(iri);
  }

  function shortName(iri) {
    for (const [prefix, namespace] of prefixes) {
      const local = iri.slice(namespace.length);
      if (iri.startsWith(namespace) && /^[\w.\-]*$/.test(local)) return prefix + ":" + local;
    }
    return iri;
  }

  const isNumeric = (term) => term && term.type !== "uri" && NUMERIC.has(term.datatype);
  const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;",
    '"': "&quot;", "'": "&#39;" }[c]));

  function termText(term) {
    if (!term) return "";
    if (term.label) return term.label.value;
    if (term.type === "uri") return shortName(term.value);
    if (term.type === "bnode") return "_:" + term.value;
    return isNumeric(term) ? formatNumber(term.value) : term.value;
  }

  function termHtml(term) {
    if (!term) return "";
    if (term.type === "uri") {
      return `<a class="iri" href="${escapeHtml(localHref(term.value))}" title="${escapeHtml(term.value)}">` +
        `${escapeHtml(termText(term))}</a>`;
    }
    const text = escapeHtml(termText(term));
    const lang = term["xml:lang"];
    if (lang && lang !== "nb") return `${text} <span class="tag" title="språk">${escapeHtml(lang)}</span>`;
    if (isNumeric(term)) return `<span class="number" title="${escapeHtml(term.value)}">${text}</span>`;
    return text;
  }

  function heading(variable) {
    if (HEADINGS[variable]) return HEADINGS[variable];
    const words = variable.replace(/Label$/, "").replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
    return HEADINGS[words] || words.charAt(0).toUpperCase() + words.slice(1);
  }

  // Variables shown as columns: `xLabel` is folded into `x` (the IRI's link text) when both are there.
  function columnsOf(results) {
    const variables = results.getVariables();
    const bindings = results.getBindings() || [];
    const labelOf = {};
    for (const name of variables) {
      const label = name + "Label";
      if (variables.includes(label) && bindings.some((row) => row[name] && row[name].type === "uri")) {
        labelOf[name] = label;
      }
    }
    const folded = new Set(Object.values(labelOf));
    return { variables: variables.filter((name) => !folded.has(name)), labelOf, bindings };
  }

  function rowTerms(binding, columns) {
    return columns.variables.map((name) => {
      const term = binding[name];
      const label = binding[columns.labelOf[name]];
      return term && label && term.type === "uri" ? { ...term, label } : term;
    });
  }

  // ---- the table: YASR's (sorting, paging, filter, CSV download), in Norwegian, with labels ----

  const TableBase = Yasr.plugins.table;
  TableBase.defaults.tableConfig.language = {
    decimal: ",", thousands: "\u00a0", emptyTable: "Ingen rader", zeroRecords: "Ingen rader passer filteret",
    info: "Rad _START_–_END_ av _TOTAL_", infoEmpty: "Ingen rader", infoFiltered: "(filtrert fra _MAX_)",
    paginate: { first: "Første", last: "Siste", next: "Neste", previous: "Forrige" },
    aria: { sortAscending: ": sorter stigende", sortDescending: ": sorter synkende" },
  };
  class Table extends TableBase {
    constructor(yasr) {
      super(yasr);
      this.label = "Tabell";
      this.helpReference = undefined; // Triply's documentation, on another host
    }
    getRows() {
      if (!this.yasr.results) return [];
      const columns = columnsOf(this.yasr.results);
      return columns.bindings.map((binding, index) => [index + 1, ...rowTerms(binding, columns)]);
    }
    getColumns() {
      if (!this.yasr.results) return [];
      const columns = columnsOf(this.yasr.results);
      return [
        { name: "", searchable: false, orderable: false, width: "2em",
          render: (data, type) => (type === "display" ? `<div>${data}</div>` : data) },
        ...columns.variables.map((name, index) => {
          const numeric = columns.bindings.some((row) => isNumeric(row[name])) &&
            columns.bindings.every((row) => !row[name] || isNumeric(row[name]));
          return {
            name, title: `<span title="?${escapeHtml(name)}">${escapeHtml(heading(name))}</span>`,
            type: numeric ? "num" : "string",
            render: (term, type) => {
              if (type === "sort" || type === "type") {
                if (!term) return numeric ? -Infinity : "";
                return numeric ? Number(term.value) : termText(term).toLocaleLowerCase("nb");
              }
              if (type === "filter") return term ? termText(term) + " " + term.value : "";
              return `<div>${termHtml(term)}</div>`;
            },
          };
        }),
      ];
    }
    drawControls() {
      super.drawControls();
      // "Simple view" is what this table always shows (labels, no datatypes); the ellipsis switch stays
      const compact = this.tableCompactSwitch && this.tableCompactSwitch.closest("div");
      if (compact && compact.parentNode === this.tableControls) compact.hidden = true;
      const ellipsis = this.tableEllipseSwitch && this.tableEllipseSwitch.parentNode.querySelector(".label");
      if (ellipsis) ellipsis.textContent = "Forkort lange verdier";
      if (this.tableFilterField) {
        this.tableFilterField.placeholder = "Filtrer radene";
        this.tableFilterField.setAttribute("aria-label", "Filtrer radene");
      }
      const label = this.yasr.pluginControls.querySelector(".pageSizerLabel");
      if (label) label.textContent = "Rader per side: ";
      const all = this.yasr.pluginControls.querySelector('.tableSizer option[value="-1"]');
      if (all) all.textContent = "Alle";
    }
    download(filename) {
      const info = super.download(filename);
      info.title = "Last ned som CSV";
      return info;
    }
  }
  Yasr.registerPlugin("table", Table);
  class Response extends Yasr.plugins.response {
    constructor(yasr) {
      super(yasr);
      this.label = "Svar";
      this.helpReference = undefined;
    }
  }
  Yasr.registerPlugin("response", Response);

  // ---- the chart: a line per series over the years, drawn as SVG here ----

  const isYear = (term) => term && term.type !== "uri" &&
    (term.datatype === XSD + "gYear" || /^[12]\d{3}$/.test(term.value));

  function seriesOf(results) {
    const variables = results.getVariables() || [];
    const bindings = results.getBindings() || [];
    const present = (name) => bindings.some((row) => row[name]);
    const yearVar = variables.find((name) => present(name) && bindings.every((row) => !row[name] || isYear(row[name])) &&
      (/year|år/i.test(name) || bindings.some((row) => row[name] && row[name].datatype === XSD + "gYear")));
    const valueVar = variables.find((name) => name !== yearVar && present(name) &&
      bindings.every((row) => !row[name] || isNumeric(row[name])));
    if (!yearVar || !valueVar) return null;
    const columns = columnsOf(results);
    const keyVar = columns.variables.find((name) => name !== yearVar && name !== valueVar && present(name) &&
      !bindings.every((row) => !row[name] || isNumeric(row[name])));
    const series = new Map();
    for (const binding of bindings) {
      if (!binding[yearVar] || !binding[valueVar]) continue;
      const terms = rowTerms(binding, columns);
      const key = keyVar ? terms[columns.variables.indexOf(keyVar)] : null;
      const id = key ? key.value : "";
      if (!series.has(id)) series.set(id, { name: key ? termText(key) : heading(valueVar), term: key, points: [] });
      series.get(id).points.push({ year: Number(binding[yearVar].value.slice(0, 4)), value: Number(binding[valueVar].value),
        text: formatNumber(binding[valueVar].value) });
    }
    const all = [...series.values()].filter((line) => line.points.length);
    if (!all.length || all.reduce((sum, line) => sum + line.points.length, 0) < 2) return null;
    all.forEach((line) => line.points.sort((a, b) => a.year - b.year));
    return { valueVar, lines: all };
  }

  function niceStep(span) {
    const raw = span / 5;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    return [1, 2, 2.5, 5, 10].map((f) => f * power).find((step) => step >= raw);
  }

  // The y axis starts at zero unless the figures sit far above it (the lowest above 60 % of the highest);
  // then it is cut, the cut is drawn, and it still spans a tenth of the highest figure, so a one-point
  // fall at 97 % stays a small step (as the resource pages' charts, pages.value_axis).
  function yAxis(values) {
    let low = Math.min(...values), high = Math.max(...values);
    const broken = low > 0 && low > 0.6 * high;
    low = broken ? Math.min(low, high - 0.1 * Math.abs(high)) : Math.min(0, low);
    if (high === low) high = low + 1;
    const step = niceStep(high - low);
    return { low: Math.floor(low / step) * step, high: Math.ceil(high / step) * step, step, broken };
  }

  const PALETTE = ["#1e8449", "#00689d", "#ca6f1e", "#8e44ad", "#b03a2e", "#d4ac0d", "#117a65", "#5d6d7e",
    "#2e86c1", "#a04000", "#7d3c98", "#1abc9c"];

  function chartSvg(data, width) {
    const lines = data.lines.slice(0, PALETTE.length);
    const years = [...new Set(lines.flatMap((line) => line.points.map((p) => p.year)))].sort((a, b) => a - b);
    const values = lines.flatMap((line) => line.points.map((p) => p.value));
    const axis = yAxis(values);
    const legend = lines.length > 1 || lines[0].term;
    const left = 70, right = legend ? Math.min(260, width * 0.32) : 24, top = 20, bottom = 44, height = 340;
    const plotW = width - left - right, plotH = height - top - bottom;
    const x = (year) => left + (years.length === 1 ? plotW / 2 : (years.indexOf(year) * plotW) / (years.length - 1));
    const y = (value) => top + ((axis.high - value) / (axis.high - axis.low)) * plotH;
    const out = [`<svg class="sg-chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" role="img" aria-label="Linjediagram" font-family="system-ui, sans-serif" font-size="12">`];
    for (let tick = axis.low; tick <= axis.high + axis.step / 1000; tick += axis.step) {
      const ty = y(tick).toFixed(1);
      out.push(`<line x1="${left}" x2="${left + plotW}" y1="${ty}" y2="${ty}" stroke="#e5e8eb"/>`,
        `<text x="${left - 8}" y="${Number(ty) + 4}" text-anchor="end" fill="#555">${formatNumber(+tick.toFixed(6))}</text>`);
    }
    out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#888"/>`);
    if (axis.broken) { // a zigzag on the axis: it does not start at zero
      const by = top + plotH - 10;
      out.push(`<path class="axis-break" d="M${left - 6},${by + 4} l6,-4 l-6,-4 l6,-4" fill="none" stroke="#c0392b" stroke-width="1.5"/>`,
        `<text x="${left + 6}" y="${top + plotH - 4}" fill="#c0392b" font-size="11">aksen starter ikke på 0</text>`);
    }
    for (const year of years) {
      out.push(`<text x="${x(year).toFixed(1)}" y="${top + plotH + 20}" text-anchor="middle" fill="#333">${year}</text>`);
    }
    lines.forEach((line, index) => {
      const colour = PALETTE[index];
      const path = line.points.map((p, i) => `${i ? "L" : "M"}${x(p.year).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
      out.push(`<g class="series"><title>${escapeHtml(line.name)}</title>`);
      if (line.points.length > 1) out.push(`<path d="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
      for (const p of line.points) {
        out.push(`<circle cx="${x(p.year).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="4" fill="${colour}">` +
          `<title>${escapeHtml(line.name)} ${p.year}: ${escapeHtml(p.text)}</title></circle>`);
        if (lines.length === 1) { // one line: its figures beside the points (more would crowd)
          out.push(`<text class="point" x="${x(p.year).toFixed(1)}" y="${(y(p.value) - 9).toFixed(1)}" ` +
            `text-anchor="middle" fill="${colour}">${escapeHtml(p.text)}</text>`);
        }
      }
      out.push("</g>");
      if (legend) {
        const ly = top + 6 + index * 20, lx = left + plotW + 16;
        const name = line.name.length > 34 ? line.name.slice(0, 33) + "…" : line.name;
        out.push(`<rect x="${lx}" y="${ly - 9}" width="12" height="12" fill="${colour}"/>`,
          `<text x="${lx + 18}" y="${ly + 1}" fill="#333"><title>${escapeHtml(line.name)}</title>${escapeHtml(name)}</text>`);
      }
    });
    out.push("</svg>");
    return out.join("");
  }

  class Chart {
    constructor(yasr) {
      this.yasr = yasr;
      this.label = "Diagram";
      this.priority = 5;
    }
    canHandleResults() {
      return !!this.yasr.results && !this.yasr.results.getError() && !!this.yasr.results.getBindings() &&
        seriesOf(this.yasr.results) !== null;
    }
    draw() {
      const data = seriesOf(this.yasr.results);
      const box = document.createElement("div");
      box.className = "sg-chart-box";
      const width = Math.max(520, Math.min(1100, this.yasr.resultsEl.clientWidth || 900));
      box.innerHTML = chartSvg(data, width);
      if (data.lines.length > PALETTE.length) {
        box.append(Object.assign(document.createElement("p"), { className: "muted",
          textContent: `Viser de ${PALETTE.length} første av ${data.lines.length} seriene.` }));
      }
      this.yasr.resultsEl.appendChild(box);
    }
    getIcon() {
      const icon = document.createElement("span");
      icon.innerHTML = '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="M1 14h14M2 11l4-5 3 3 5-6" ' +
        'fill="none" stroke="currentColor" stroke-width="1.6"/></svg>';
      return icon;
    }
    download() {
      const svg = this.yasr.resultsEl.querySelector("svg.sg-chart");
      if (!svg) return undefined;
      return { getData: () => svg.outerHTML, contentType: "image/svg+xml", title: "Last ned diagrammet (SVG)",
        filename: "diagram.svg" };
    }
  }
  Yasr.registerPlugin("chart", Chart);

  // ---- response line and errors, in Norwegian ----

  Yasr.prototype.updateResponseInfo = function () {
    let text = "";
    if (this.results) {
      this.dataElement.classList.remove("empty");
      const bindings = this.results.getBindings();
      if (bindings) text = `${formatNumber(bindings.length)} ${bindings.length === 1 ? "rad" : "rader"}`;
      const ms = this.results.getResponseTime();
      if (ms) text = (text || "Svar") + ` på ${seconds(ms)} s`;
    } else {
      this.dataElement.classList.add("empty");
    }
    this.dataElement.innerText = text;
  };

  const POSITION = /at line (\d+), column (\d+)/;
  let marked = null;
  function clearErrorLine() {
    if (marked) marked.yasqe.removeLineClass(marked.line, "background", "sg-error-line");
    marked = null;
  }
  function markErrorLine(text) {
    clearErrorLine();
    const tab = window.sdggraph && window.sdggraph.yasgui.getTab();
    const yasqe = tab && tab.getYasqe();
    const match = POSITION.exec(text || "");
    if (!yasqe || !match) return;
    const line = Number(match[1]) - 1;
    yasqe.addLineClass(line, "background", "sg-error-line");
    marked = { yasqe, line };
  }

  Yasr.defaults.errorRenderers = [async (error) => {
    const box = document.createElement("div");
    box.className = "sg-error";
    const text = (error.text || "").trim();
    const match = POSITION.exec(text);
    const title = document.createElement("p");
    title.className = "sg-error-title";
    title.textContent = match ? `Syntaksfeil på linje ${match[1]}, kolonne ${match[2]}`
      : error.status ? `Feil (HTTP ${error.status})` : "Fikk ikke svar fra tjenesten";
    box.append(title);
    if (text) box.append(Object.assign(document.createElement("pre"), { textContent: text }));
    markErrorLine(text);
    return box;
  }];

  // ---- completion from this graph ----

  // Fetched when an editor opens, not kept in localStorage for a month: a rebuild with another base
  // IRI or new terms shows at once.
  const notStored = () => undefined;
  Yasqe.defaults.prefixCcApi = "/editor/prefixes.json";
  Yasqe.registerAutocompleter({ ...Yasqe.Autocompleters.prefixes, persistenceId: notStored });
  const vocabulary = fetch("/editor/vocabulary.json").then((r) => (r.ok ? r.json() : { classes: [], properties: [] }))
    .catch(() => ({ classes: [], properties: [] }));
  for (const [name, key] of [["class", "classes"], ["property", "properties"]]) {
    Yasqe.registerAutocompleter({ ...Yasqe.Autocompleters[name], name, bulk: true, autoShow: false,
      persistenceId: notStored, get: () => vocabulary.then((terms) => terms[key]) });
  }

  // ---- YASGUI ----

  const DEFAULT_QUERY = `PREFIX sg: <${config.prefixes.sg}>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

# Satsingsområdene og hovedmålene deres
SELECT ?area ?areaLabel ?mainGoal ?mainGoalLabel
WHERE {
  ?mainGoal sg:belongsToFocusArea ?area ;
            skos:prefLabel ?mainGoalLabel .
  ?area skos:prefLabel ?areaLabel .
  FILTER(LANG(?mainGoalLabel) = "nb" && LANG(?areaLabel) = "nb")
}
ORDER BY ?areaLabel
`;
  const endpoint = location.origin + "/sparql";
  const yasgui = new Yasgui($("yasgui"), {
    requestConfig: { endpoint, method: "POST", acceptHeaderSelect: "application/sparql-results+json",
      acceptHeaderGraph: "text/turtle" },
    endpointCatalogueOptions: { getData: () => [{ endpoint }], keys: [] },
    copyEndpointOnNewTab: true,
    persistenceId: "sdggraph-" + config.base,
    tabName: "Spørring",
    yasqe: { value: DEFAULT_QUERY, editorHeight: "360px" },
    yasr: { prefixes: config.prefixes, pluginOrder: ["table", "chart", "response"], defaultPlugin: "table" },
  });
  for (const id of Object.keys(yasgui._tabs)) yasgui.getTab(id).setEndpoint(endpoint); // tabs kept from before
  yasgui.on("query", clearErrorLine);

  // ---- named questions ----

  let current = null;

  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = !message;
  }

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    node.append(...children);
    return node;
  }

  function tabFor(name) {
    for (const id of Object.keys(yasgui._tabs)) {
      if (yasgui.getTab(id).getName() === name) { yasgui.selectTabId(id); return yasgui.getTab(id); }
    }
    return yasgui.addTab(true, { name });
  }

  function choose(query) {
    current = query;
    $("chosen").hidden = false;
    $("query-title").textContent = query.name;
    $("query-question").textContent = query.question_nb;
    $("query-question-en").textContent = query.question_en;
    const params = $("params");
    params.replaceChildren();
    for (const param of query.params) {
      let input;
      if (param.choices.length) {
        input = element("select", { name: param.name, id: "param-" + param.name });
        for (const choice of param.choices) input.append(element("option", { value: choice }, choice));
      } else {
        input = element("input", { name: param.name, id: "param-" + param.name, type: "text" });
      }
      input.value = param.default;
      input.addEventListener("change", bindParams);
      params.append(element("label", { for: "param-" + param.name }, param.name + " "), input);
    }
    tabFor(query.name).setQuery(query.sparql);
    document.querySelectorAll("button.example").forEach((b) => b.classList.toggle("chosen", b.dataset.name === query.name));
    history.replaceState(null, "", "#q=" + encodeURIComponent(query.name));
  }

  async function bindParams() {
    // The server binds the values as typed terms and gives the query text back.
    const values = new URLSearchParams();
    for (const input of $("params").querySelectorAll("input, select")) values.set(input.name, input.value);
    values.set("format", "sparql");
    const response = await fetch("/queries/" + encodeURIComponent(current.name) + "?" + values);
    const text = await response.text();
    if (!response.ok) {
      try { showError(JSON.parse(text).error); } catch (e) { showError(text); }
      return;
    }
    showError("");
    tabFor(current.name).setQuery(text);
  }

  async function loadQueries() {
    const response = await fetch("/queries", { headers: { Accept: "application/json" } });
    if (!response.ok) { showError("Kunne ikke hente spørsmålene (HTTP " + response.status + ")"); return []; }
    const queries = await response.json();
    $("query-list").replaceChildren();
    for (const query of queries) {
      const button = element("button", { type: "button", class: "example", "data-name": query.name, title: query.question_en },
        element("span", { class: "question" }, query.question_nb), element("code", {}, query.name));
      button.addEventListener("click", () => choose(query));
      $(query.check ? "check-list" : "query-list").append(element("li", {}, button));
    }
    return queries;
  }

  const hashName = () => decodeURIComponent((location.hash.match(/^#q=(.+)$/) || [])[1] || "");
  loadQueries().then((queries) => {
    const query = queries.find((q) => q.name === wanted);
    if (query) choose(query);
    window.addEventListener("hashchange", () => { // a link to /#q=name from a page already open
      const next = queries.find((q) => q.name === hashName());
      if (next) choose(next);
    });
  });
  window.sdggraph = { yasgui, formatNumber }; // for the browser tests and the curious
})();

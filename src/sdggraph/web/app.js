// The query page: named questions from /queries, SPARQL run on /sparql, results as a table.
// No libraries and no network beyond this service, so the page works offline.
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("sdggraph-config").textContent);
  const $ = (id) => document.getElementById(id);
  const editor = $("sparql");
  let current = null;       // the chosen named question, or null for one's own query
  let downloads = [];       // object URLs to revoke when the next result replaces them
  const prefixes = Object.entries(config.prefixes).sort((a, b) => b[1].length - a[1].length);

  function localHref(iri) {
    // IRIs this graph mints are served at their path; any other IRI at /resource?iri=
    if (iri.startsWith(config.base) && iri.length > config.base.length) {
      return "/" + iri.slice(config.base.length);
    }
    return "/resource?iri=" + encodeURIComponent(iri);
  }

  function shortName(iri) {
    for (const [prefix, namespace] of prefixes) {
      const local = iri.slice(namespace.length);
      if (iri.startsWith(namespace) && /^[\w.\-]*$/.test(local)) return prefix + ":" + local;
    }
    return iri;
  }

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== undefined && value !== null) node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = !message;
  }

  async function errorText(response) {
    const text = await response.text();
    try { return JSON.parse(text).error || text; } catch (e) { return text; }
  }

  // ---- named questions ----

  async function loadQueries() {
    const response = await fetch("/queries", { headers: { Accept: "application/json" } });
    if (!response.ok) { showError("Kunne ikke hente spørsmålene: " + await errorText(response)); return []; }
    const queries = await response.json();
    $("query-list").replaceChildren();
    for (const query of queries) {
      const button = element("button", { type: "button", class: "example", "data-name": query.name },
        element("span", { class: "question" }, query.question_nb), element("code", {}, query.name));
      button.addEventListener("click", () => choose(query));
      $(query.check ? "check-list" : "query-list").append(element("li", {}, button));
    }
    return queries;
  }

  function choose(query) {
    current = query;
    $("query-title").textContent = query.name;
    $("query-question").textContent = query.question_nb + " — " + query.question_en;
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
    editor.value = query.sparql;
    document.querySelectorAll("button.example").forEach((b) => b.classList.toggle("chosen", b.dataset.name === query.name));
    history.replaceState(null, "", "#q=" + encodeURIComponent(query.name));
  }

  async function bindParams() {
    // The server binds the values as typed terms and gives the query text back.
    const values = new URLSearchParams();
    for (const input of $("params").querySelectorAll("input, select")) values.set(input.name, input.value);
    values.set("format", "sparql");
    const response = await fetch("/queries/" + encodeURIComponent(current.name) + "?" + values);
    if (!response.ok) { showError(await errorText(response)); return; }
    showError("");
    editor.value = await response.text();
  }

  // ---- running a query ----

  async function run(event) {
    if (event) event.preventDefault();
    showError("");
    $("status").textContent = "Kjører …";
    const started = performance.now();
    const response = await fetch("/sparql", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded",
                 Accept: "application/sparql-results+json, text/turtle;q=0.9" },
      body: new URLSearchParams({ query: editor.value }),
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    if (!response.ok) {
      $("status").textContent = "";
      showError(`Feil (HTTP ${response.status}): ` + await errorText(response));
      return;
    }
    const type = response.headers.get("content-type") || "";
    const text = await response.text();
    if (type.includes("sparql-results+json")) {
      const data = JSON.parse(text);
      const count = data.results ? data.results.bindings.length : 1;
      $("status").textContent = `${count} ${count === 1 ? "rad" : "rader"} på ${seconds} s`;
      renderTable(data);
      offerDownloads(toCsv(data), text);
    } else {
      $("status").textContent = `svar på ${seconds} s`;
      $("results").replaceChildren(element("pre", { class: "rdf" }, text));
      offerDownloads(null, null);
    }
  }

  function cell(term) {
    if (!term) return "";
    if (term.type === "uri") {
      return element("a", { href: localHref(term.value), title: term.value, class: "iri" }, shortName(term.value));
    }
    if (term.type === "bnode") return "_:" + term.value;
    const span = element("span", {}, term.value);
    if (term["xml:lang"]) span.append(element("span", { class: "tag" }, "@" + term["xml:lang"]));
    return span;
  }

  function renderTable(data) {
    if ("boolean" in data) {
      $("results").replaceChildren(element("p", { class: "boolean" }, data.boolean ? "Ja (true)" : "Nei (false)"));
      return;
    }
    const variables = data.head.vars;
    const head = element("tr", {}, ...variables.map((name) => element("th", {}, name)));
    const body = element("tbody");
    for (const binding of data.results.bindings) {
      body.append(element("tr", {}, ...variables.map((name) => element("td", {}, cell(binding[name])))));
    }
    $("results").replaceChildren(element("table", { class: "results", id: "result-table" }, element("thead", {}, head), body));
  }

  function toCsv(data) {
    if (!data.results) return "_askResult\r\n" + data.boolean + "\r\n";
    const quote = (text) => (/[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text);
    const lines = [data.head.vars.map(quote).join(",")];
    for (const binding of data.results.bindings) {
      lines.push(data.head.vars.map((name) => quote(binding[name] ? binding[name].value : "")).join(","));
    }
    return lines.join("\r\n") + "\r\n";
  }

  function offerDownloads(csv, json) {
    downloads.forEach((url) => URL.revokeObjectURL(url));
    downloads = [];
    for (const [id, content, type] of [["download-csv", csv, "text/csv"], ["download-json", json, "application/sparql-results+json"]]) {
      const link = $(id);
      link.hidden = content === null;
      if (content !== null) {
        const url = URL.createObjectURL(new Blob([content], { type }));
        downloads.push(url);
        link.href = url;
      }
    }
  }

  $("query-form").addEventListener("submit", run);
  editor.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) run(event);
  });
  editor.addEventListener("input", () => {
    if (current) { current = null; $("query-title").textContent = "Egen spørring"; }
  });
  loadQueries().then((queries) => {
    const wanted = decodeURIComponent((location.hash.match(/^#q=(.+)$/) || [])[1] || "");
    const query = queries.find((q) => q.name === wanted);
    if (query) choose(query);
  });
})();

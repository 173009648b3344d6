/**
 * The console script, part 4: relays, usage charts (plain SVG, no library) and the request log.
 */
export const scriptUsage = String.raw`
const svgNamespace = "http://www.w3.org/2000/svg";

function s(tag, attributes, ...children) {
  const element = document.createElementNS(svgNamespace, tag);
  for (const [name, value] of Object.entries(attributes || {})) element.setAttribute(name, String(value));
  for (const child of children) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

/** A stacked bar chart: one bar per label, one stacked segment per series. */
function barChart(id, title, labels, series) {
  const width = 600, height = 220, left = 44, bottom = 28, top = 10;
  const totals = labels.map((_, index) => series.reduce((sum, entry) => sum + (entry.values[index] || 0), 0));
  const max = Math.max(1, ...totals);
  const slot = (width - left - 8) / Math.max(labels.length, 1);
  const scale = (value) => (value / max) * (height - top - bottom);
  const svg = s("svg", { class: "chart", viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": title, "data-chart": id, "data-total": totals.reduce((a, b) => a + b, 0) });
  svg.append(s("line", { class: "axis", x1: left, y1: height - bottom, x2: width, y2: height - bottom }));
  svg.append(s("text", { x: left - 6, y: top + 8, "text-anchor": "end" }, number(max)));
  svg.append(s("text", { x: left - 6, y: height - bottom, "text-anchor": "end" }, "0"));
  labels.forEach((label, index) => {
    let y = height - bottom;
    series.forEach((entry, seriesIndex) => {
      const value = entry.values[index] || 0;
      if (value <= 0) return;
      const barHeight = Math.max(1, scale(value));
      y -= barHeight;
      svg.append(s("rect", { class: "s" + seriesIndex, x: left + index * slot + slot * 0.15, y, width: slot * 0.7, height: barHeight }, s("title", {}, label + " " + entry.name + ": " + number(value))));
    });
    if (labels.length <= 16 || index % Math.ceil(labels.length / 8) === 0) {
      svg.append(s("text", { x: left + index * slot + slot / 2, y: height - bottom + 14, "text-anchor": "middle" }, label.slice(5)));
    }
  });
  const legend = h("div", { className: "legend" }, ...series.map((entry, index) => h("span", {}, h("i", { className: "s" + index }), entry.name)));
  return h("figure", {}, h("figcaption", {}, title), svg, series.length > 1 ? legend : null);
}

function breakdownTable(id, title, rows, label) {
  return h("section", {},
    h("h2", {}, title),
    h("div", { className: "table" },
      h("table", { id },
        h("thead", {}, h("tr", {}, ...[label, "Requests", "Errors", "Prompt tokens", "Cached tokens", "Completion tokens", "Thought tokens", "Resumes"].map((text) => h("th", {}, text)))),
        h("tbody", {}, rows.length
          ? rows.map((row) => h("tr", {}, h("td", {}, row.label), ...[row.requests, row.errors, row.promptTokens, row.cachedTokens, row.completionTokens, row.thoughtTokens, row.resumes].map((value) => h("td", {}, number(value)))))
          : h("tr", {}, h("td", { colspan: 8, className: "muted" }, "No traffic yet."))),
      ),
    ),
  );
}

pages.usage = async function (target) {
  const data = await api("GET", "/api/usage?days=14");
  const labels = data.days.map((day) => day.day);
  const pick = (field) => data.days.map((day) => day[field]);
  target.replaceChildren(
    h("section", {},
      h("h2", {}, "Usage, last 14 days (UTC)"),
      h("div", { className: "charts" },
        barChart("requests", "Requests", labels, [{ name: "requests", values: pick("requests") }]),
        barChart("tokens", "Tokens", labels, [
          { name: "prompt", values: pick("promptTokens") },
          { name: "completion", values: pick("completionTokens") },
          { name: "thoughts", values: pick("thoughtTokens") },
        ]),
        barChart("errors", "Errors and resumes", labels, [
          { name: "errors", values: pick("errors") },
          { name: "resumes", values: pick("resumes") },
        ]),
      ),
    ),
    breakdownTable("usage-by-access-key", "By access key", data.byAccessKey.map((row) => ({ ...row, label: row.name })), "Access key"),
    breakdownTable("usage-by-model", "By model", data.byModel.map((row) => ({ ...row, label: row.id })), "Model"),
    breakdownTable("usage-by-pool-key", "By pool key", data.byPoolKey.map((row) => ({ ...row, label: row.key })), "Pool key"),
  );
};

pages.requests = async function (target) {
  const tbody = h("tbody");
  const more = h("button", { type: "button", hidden: true }, "Load more");
  let before = null;
  const load = async () => {
    const data = await api("GET", "/api/requests?limit=50" + (before ? "&before=" + encodeURIComponent(before) : ""));
    for (const entry of data.requests) {
      tbody.append(h("tr", {},
        ...[when(entry.at), entry.accessKeyName, entry.model, entry.poolKey || "—", entry.relay || "—", entry.status, entry.latencyMs + " ms", entry.attempts, entry.resumes,
          number(entry.promptTokens) + " / " + number(entry.completionTokens) + " / " + number(entry.thoughtTokens)].map((value) => h("td", {}, value))));
    }
    before = data.next;
    more.hidden = before === null;
    if (!tbody.children.length) tbody.append(h("tr", {}, h("td", { colspan: 10, className: "muted" }, "No requests yet.")));
  };
  more.addEventListener("click", () => load().catch((error) => target.append(message(error.message, true))));
  await load();
  target.replaceChildren(
    h("section", {},
      h("h2", {}, "Recent requests"),
      h("p", { className: "muted" }, "What happened to each request, never what was said. Tokens: prompt / completion / thoughts."),
      h("div", { className: "table" },
        h("table", { id: "requests-table" },
          h("thead", {}, h("tr", {}, ...["Time", "Access key", "Model", "Pool key", "Relay", "Status", "Latency", "Attempts", "Resumes", "Tokens"].map((title) => h("th", {}, title)))),
          tbody,
        ),
      ),
      h("div", { className: "row" }, more),
    ),
  );
};

pages.relays = async function (target) {
  const [relays, status] = await Promise.all([api("GET", "/api/relays"), api("GET", "/status")]);
  target.replaceChildren(
    h("section", {},
      h("h2", {}, "Relays"),
      h("div", { className: "table" },
        h("table", { id: "relays-table" },
          h("thead", {}, h("tr", {}, ...["Relay", "Health", "Platform", "Region", "Live API", "Circuit", "Latency", "Requests", "Failures", "Last error"].map((title) => h("th", {}, title)))),
          h("tbody", {}, relays.relays.map((relay) => h("tr", {},
            h("td", {}, h("code", {}, relay.id)),
            h("td", { className: relay.health.ok ? "status-active" : "status-disabled" }, relay.health.ok ? "ok" : "down" + (relay.health.error ? " (" + relay.health.error + ")" : "")),
            h("td", {}, relay.health.platform || "—"),
            h("td", {}, relay.health.region || "—"),
            h("td", { title: "Whether Live API sessions (WebSockets) can leave through this egress" }, relay.live ? "yes" : "no"),
            h("td", {}, relay.circuit + (relay.quarantined ? " (quarantined)" : "")),
            h("td", {}, relay.latencyMs === null || relay.latencyMs === undefined ? "—" : relay.latencyMs + " ms"),
            h("td", {}, number(relay.requests)),
            h("td", {}, number(relay.failures)),
            h("td", { className: "muted" }, relay.lastError || "—"),
          ))),
        ),
      ),
    ),
    h("section", {},
      h("h2", {}, "Pool"),
      h("p", {}, status.totals.keys + " keys: " + status.totals.active + " active, " + status.totals.disabled + " disabled, " + status.totals.cooling + " cooling down."),
      h("p", { className: "muted" }, "Routing: keys " + status.routing.keyStrategy + ", relays " + status.routing.relayStrategy + ", up to " + status.routing.maxAttempts + " attempts."),
    ),
  );
};
`;

/**
 * The console script, part 5: operations — pool capacity and remaining budget per model, the
 * alert feed, estimated cost per model, and editors for the policy documents (JSON, validated
 * by the admin API, whose error names the field).
 */
export const scriptOperations = String.raw`
function limitText(value) {
  return value === null || value === undefined ? "∞" : number(value);
}

function documentEditor(id, title, path) {
  const area = h("textarea", { id: id + "-text", rows: 10, cols: 80, spellcheck: "false" });
  const status = h("div", {});
  const load = async () => {
    const data = await api("GET", path);
    area.value = JSON.stringify(data.policy, null, 2);
    if (data.problem) status.replaceChildren(message("The stored document is not in force (" + data.problem + "); the default applies. Save a valid one.", true));
    else status.replaceChildren(message(data.edited === false ? "Default (environment or built-in), not edited here." : "Edited here.", false));
  };
  const save = h("button", { type: "button", id: id + "-save", onclick: async () => {
    try {
      await api("PUT", path, JSON.parse(area.value));
      status.replaceChildren(message("Saved.", false));
    } catch (error) {
      status.replaceChildren(message(error.message, true));
    }
  } }, "Save");
  const reset = h("button", { type: "button", onclick: async () => {
    await api("DELETE", path);
    await load();
  } }, "Back to default");
  return { load, element: h("section", {}, h("h2", {}, title), area, h("div", {}, save, " ", reset), status) };
}

pages.operations = async function (target) {
  const [budgets, alerts, usage] = await Promise.all([api("GET", "/api/budgets"), api("GET", "/api/alerts"), api("GET", "/api/usage?days=30")]);
  const capacityRows = budgets.models.map((model) => h("tr", {},
    h("td", {}, model.model), h("td", {}, model.summary),
    h("td", {}, limitText(model.remainingPerMinute) + " / " + limitText(model.requestsPerMinute)),
    h("td", {}, limitText(model.remainingPerDay) + " / " + limitText(model.requestsPerDay)),
    h("td", {}, model.keys.filter((key) => key.blockedUntil).map((key) => key.id.slice(0, 6) + "… until " + when(key.blockedUntil)).join(", ") || "—")));
  const alertRows = alerts.events.map((event) => h("tr", {},
    h("td", {}, when(event.at)), h("td", {}, event.kind), h("td", {}, event.message), h("td", {}, event.sent ? "sent" : (event.note || "—"))));
  const costRows = usage.byModel.map((row) => h("tr", {}, h("td", {}, row.id), h("td", {}, number(row.requests)), h("td", {}, "$" + Number(row.estimatedCostUsd || 0).toFixed(4))));
  const editors = [
    documentEditor("model-policy", "Model policy", "/api/policy/models"),
    documentEditor("budgets", "Budgets", "/api/policy/budgets"),
    documentEditor("prices", "Prices (US$ per million tokens)", "/api/policy/prices"),
    documentEditor("key-metadata", "Key metadata (by key id)", "/api/keys/metadata"),
  ];
  await Promise.all(editors.map((editor) => editor.load()));
  const table = (id, headers, rows, empty) => h("div", { className: "table" }, h("table", { id },
    h("thead", {}, h("tr", {}, ...headers.map((text) => h("th", {}, text)))),
    h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: headers.length, className: "muted" }, empty)))));
  target.replaceChildren(
    h("section", {}, h("h2", {}, "Pool capacity " + (budgets.enabled ? "(budgets on)" : "(budgets off)")),
      table("capacity", ["Model", "Capacity", "Left this minute", "Left today", "Keys waiting"], capacityRows, "No budgeted model yet.")),
    h("section", {}, h("h2", {}, "Alerts" + (alerts.webhook ? "" : " (no webhook set)")),
      table("alerts", ["When", "Kind", "Message", "Webhook"], alertRows, "No alerts.")),
    h("section", {}, h("h2", {}, "Estimated cost, last 30 days: $" + Number(usage.estimatedCostUsd || 0).toFixed(4)),
      table("cost", ["Model", "Requests", "Estimated cost"], costRows, "No traffic yet.")),
    ...editors.map((editor) => editor.element),
  );
};
`;

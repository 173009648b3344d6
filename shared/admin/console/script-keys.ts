/**
 * The console script, part 2: the keys page — bulk add, the masked and paginated list with
 * status and cooldowns, check with live progress, select-invalid-and-delete with confirmation,
 * enable/disable, reset and reload.
 */
export const scriptKeys = String.raw`
const keysView = { page: 1, pageSize: 50, status: "all", verdicts: {}, selected: new Set() };

pages.keys = async function (target) {
  const data = await api("GET", "/api/keys?page=" + encodeURIComponent(keysView.page) + "&pageSize=" + encodeURIComponent(keysView.pageSize) + "&status=" + encodeURIComponent(keysView.status));
  const status = h("div", { id: "keys-message" });
  const progress = h("progress", { id: "check-progress", max: 1, value: 0, hidden: true });
  const rerender = () => pages.keys(target).catch((error) => status.replaceChildren(message(error.message, true)));

  const textarea = h("textarea", { id: "new-keys", placeholder: "Paste Gemini API keys, one per line (or comma separated)", spellcheck: "false", autocomplete: "off" });
  const addButton = h("button", { type: "button", className: "primary", id: "add-keys" }, "Add keys");
  addButton.addEventListener("click", async () => {
    try {
      const result = await api("POST", "/api/keys", { keys: textarea.value });
      textarea.value = "";
      const parts = ["Added " + result.added.length, result.existing + " already in the pool", result.duplicates + " duplicates"];
      if (result.rejected.length) parts.push(result.rejected.length + " rejected: " + result.rejected.map((entry) => "line " + (entry.index + 1) + " " + entry.key + " (" + entry.reason + ")").join("; "));
      await rerender();
      document.getElementById("keys-message").replaceChildren(message(parts.join(", ") + ".", result.rejected.length > 0));
    } catch (error) {
      status.replaceChildren(message(error.message, true));
    }
  });

  const checkButton = h("button", { type: "button", id: "check-keys" }, "Check all keys");
  checkButton.addEventListener("click", async () => {
    checkButton.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    const counts = {};
    try {
      let offset = 0;
      while (offset !== null) {
        const batch = await api("POST", "/api/keys/check?offset=" + encodeURIComponent(offset));
        for (const result of batch.results) {
          keysView.verdicts[result.id] = result;
          counts[result.verdict] = (counts[result.verdict] || 0) + 1;
          const cell = document.querySelector('[data-verdict-for="' + result.id + '"]');
          if (cell) cell.replaceChildren(verdictLabel(result));
        }
        progress.max = Math.max(batch.total, 1);
        progress.value = batch.offset + batch.results.length;
        status.replaceChildren(message("Checked " + progress.value + " of " + batch.total + "…", false));
        offset = batch.next;
      }
      await rerender();
      const summary = Object.entries(counts).map(([verdict, count]) => count + " " + verdict).join(", ");
      document.getElementById("keys-message").replaceChildren(message("Check finished: " + (summary || "no keys") + ".", false));
    } catch (error) {
      status.replaceChildren(message(error.message, true));
    } finally {
      checkButton.disabled = false;
    }
  });

  const selectInvalid = h("button", { type: "button", id: "select-invalid" }, "Select invalid");
  selectInvalid.addEventListener("click", () => {
    for (const box of document.querySelectorAll("input[data-select]")) {
      const id = box.dataset.select;
      const verdict = keysView.verdicts[id];
      box.checked = box.dataset.status === "disabled" || (verdict && verdict.verdict === "invalid");
      if (box.checked) keysView.selected.add(id);
      else keysView.selected.delete(id);
    }
  });

  const deleteSelected = h("button", { type: "button", className: "danger", id: "delete-selected" }, "Delete selected");
  deleteSelected.addEventListener("click", async () => {
    const ids = [...keysView.selected];
    if (ids.length === 0) return status.replaceChildren(message("Select keys to delete first.", true));
    if (!confirm("Delete " + ids.length + " key(s) from the pool? This cannot be undone.")) return;
    try {
      const result = await api("DELETE", "/api/keys", { ids });
      keysView.selected.clear();
      await rerender();
      document.getElementById("keys-message").replaceChildren(message("Deleted " + result.removed.length + " key(s).", false));
    } catch (error) {
      status.replaceChildren(message(error.message, true));
    }
  });

  const simpleAction = (label, path, describe) => {
    const button = h("button", { type: "button" }, label);
    button.addEventListener("click", async () => {
      try {
        const result = await api("POST", path);
        await rerender();
        document.getElementById("keys-message").replaceChildren(message(describe(result), false));
      } catch (error) {
        status.replaceChildren(message(error.message, true));
      }
    });
    return button;
  };

  const filter = h("select", { "aria-label": "Show" },
    ...["all", "active", "disabled", "cooling"].map((value) => h("option", { value, selected: value === keysView.status }, value)));
  filter.addEventListener("change", () => {
    keysView.status = filter.value;
    keysView.page = 1;
    rerender();
  });

  const pager = h("div", { className: "row" },
    h("button", { type: "button", disabled: data.page <= 1, onclick: () => { keysView.page -= 1; rerender(); } }, "Previous"),
    h("span", { className: "muted" }, "Page " + data.page + " of " + data.pages + " (" + data.total + " keys)"),
    h("button", { type: "button", disabled: data.page >= data.pages, onclick: () => { keysView.page += 1; rerender(); } }, "Next"),
  );

  const rows = data.keys.map((key) => {
    const box = h("input", { type: "checkbox", "data-select": key.id, "data-status": key.status, "aria-label": "Select " + key.key, checked: keysView.selected.has(key.id) });
    box.addEventListener("change", () => (box.checked ? keysView.selected.add(key.id) : keysView.selected.delete(key.id)));
    const toggle = h("button", { type: "button" }, key.status === "active" ? "Disable" : "Enable");
    toggle.addEventListener("click", async () => {
      try {
        await api("POST", "/api/keys/" + encodeURIComponent(key.id) + "/" + (key.status === "active" ? "disable" : "enable"));
        await rerender();
      } catch (error) {
        status.replaceChildren(message(error.message, true));
      }
    });
    const verdict = keysView.verdicts[key.id];
    return h("tr", { "data-key-id": key.id },
      h("td", {}, box),
      h("td", {}, h("code", {}, key.key)),
      h("td", { className: "muted" }, key.id),
      h("td", { className: "status-" + key.status, title: key.statusReason || "" }, key.status),
      h("td", {}, key.cooldowns.length ? key.cooldowns.map((cooldown) => cooldown.model + " " + cooldown.seconds + "s (" + cooldown.reason + ")").join(", ") : "—"),
      h("td", {}, number(key.requests)),
      h("td", {}, number(key.failures)),
      h("td", { className: "muted" }, key.lastError || "—"),
      h("td", { "data-verdict-for": key.id }, verdict ? verdictLabel(verdict) : "—"),
      h("td", {}, toggle),
    );
  });

  target.replaceChildren(
    h("section", {},
      h("h2", {}, "Add keys"),
      textarea,
      h("div", { className: "row" }, addButton),
    ),
    h("section", {},
      h("h2", {}, "Pool keys"),
      h("p", { className: "muted", id: "key-totals" },
        data.totals.keys + " keys: " + data.totals.active + " active, " + data.totals.disabled + " disabled, " + data.totals.cooling + " cooling down"),
      h("div", { className: "row" },
        checkButton, selectInvalid, deleteSelected,
        simpleAction("Reset all", "/admin/reset-keys", (result) => "Re-enabled " + result.enabled + " key(s) and cleared cooldowns."),
        simpleAction("Reload from config", "/admin/reload-keys", (result) => "Read " + result.read + " key(s), added " + result.added + "."),
        h("label", {}, "Show", filter),
      ),
      progress,
      status,
      h("div", { className: "table" },
        h("table", { id: "keys-table" },
          h("thead", {}, h("tr", {}, ...["", "Key", "ID", "Status", "Cooldowns", "Requests", "Failures", "Last error", "Check", ""].map((title) => h("th", {}, title)))),
          h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 10, className: "muted" }, "No keys."))),
        ),
      ),
      pager,
    ),
  );
};

function verdictLabel(result) {
  return h("span", { className: "verdict-" + result.verdict, title: result.detail }, result.verdict);
}
`;

/** The console script, part 3: access keys — create (the secret is shown once) and revoke. */
export const scriptAccess = String.raw`
pages.access = async function (target) {
  const data = await api("GET", "/api/access-keys");
  const status = h("div", { id: "access-message" });
  const rerender = () => pages.access(target).catch((error) => status.replaceChildren(message(error.message, true)));
  const name = h("input", { name: "name", required: true, placeholder: "e.g. laptop", maxlength: 100 });
  const expires = h("input", { name: "expiresAt", type: "date" });
  const models = h("input", { name: "models", placeholder: "all models, or gemini-2.5-flash, gemini-2.5-*" });
  const limit = h("input", { name: "requestsPerMinute", type: "number", min: 1, placeholder: "unlimited" });
  const form = h("form", {},
    h("div", { className: "row" },
      h("label", {}, "Name", name),
      h("label", {}, "Expires (optional)", expires),
      h("label", {}, "Models (optional)", models),
      h("label", {}, "Requests per minute", limit),
      h("button", { type: "submit", className: "primary", id: "create-access-key" }, "Create access key"),
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { name: name.value };
    if (expires.value) body.expiresAt = expires.value;
    const list = models.value.split(",").map((model) => model.trim()).filter(Boolean);
    if (list.length) body.models = list;
    if (limit.value) body.requestsPerMinute = Number(limit.value);
    try {
      const created = await api("POST", "/api/access-keys", body);
      await rerender();
      const secret = h("code", { className: "secret", id: "new-secret" }, created.secret);
      const copy = h("button", { type: "button" }, "Copy");
      copy.addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText(created.secret));
      document.getElementById("access-message").replaceChildren(
        message("Created " + created.accessKey.name + ". Copy the key now: it is shown only once.", false),
        secret,
        h("div", { className: "row" }, copy),
      );
    } catch (error) {
      status.replaceChildren(message(error.message, true));
    }
  });

  const rows = data.accessKeys.map((key) => {
    const revoke = h("button", { type: "button", className: "danger", disabled: key.state === "revoked" }, "Revoke");
    revoke.addEventListener("click", async () => {
      if (!confirm("Revoke " + key.name + "? Clients using it get 401 within seconds.")) return;
      try {
        await api("POST", "/api/access-keys/" + encodeURIComponent(key.id) + "/revoke");
        await rerender();
        document.getElementById("access-message").replaceChildren(message("Revoked " + key.name + ".", false));
      } catch (error) {
        status.replaceChildren(message(error.message, true));
      }
    });
    return h("tr", { "data-access-key": key.id },
      h("td", {}, key.name),
      h("td", {}, h("code", {}, key.hint)),
      h("td", { className: "muted" }, key.id),
      h("td", { className: "state-" + key.state }, key.state),
      h("td", {}, key.models.length ? key.models.join(", ") : "all"),
      h("td", {}, key.requestsPerMinute ? key.requestsPerMinute + "/min" : "unlimited"),
      h("td", {}, when(key.expiresAt)),
      h("td", {}, when(key.createdAt)),
      h("td", {}, revoke),
    );
  });

  target.replaceChildren(
    h("section", {}, h("h2", {}, "New access key"), form, status),
    h("section", {},
      h("h2", {}, "Access keys"),
      h("p", { className: "muted" }, "Clients send an access key where they would send a Gemini key (x-goog-api-key, ?key= or Authorization: Bearer). AUTH_KEY keys from the environment also work and are not listed."),
      h("div", { className: "table" },
        h("table", { id: "access-table" },
          h("thead", {}, h("tr", {}, ...["Name", "Key", "ID", "State", "Models", "Limit", "Expires", "Created", ""].map((title) => h("th", {}, title)))),
          h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 9, className: "muted" }, "No access keys yet."))),
        ),
      ),
    ),
  );
};
`;

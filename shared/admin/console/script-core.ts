/**
 * The console script, part 1: DOM helpers, the API client, navigation and login. Plain browser
 * JavaScript (kept in a string: no build step), building the page with DOM calls only, never
 * from HTML strings, so data shown from the API cannot inject markup.
 */
export const scriptCore = String.raw`
"use strict";
const pages = {};
const main = () => document.getElementById("main");

function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "className") element.className = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function when(epoch) {
  return epoch ? new Date(epoch).toLocaleString() : "—";
}

function number(value) {
  return Number(value || 0).toLocaleString();
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { "x-gemrelay-console": "1" } };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({}));
  if (response.status === 401 && path !== "/api/login") {
    showLogin("Your session ended; log in again.");
    throw new ApiError(401, "Not logged in.");
  }
  if (!response.ok) throw new ApiError(response.status, (data.error && data.error.message) || ("HTTP " + response.status));
  return data;
}

function message(text, isError) {
  return h("p", { className: "message" + (isError ? " error" : ""), role: isError ? "alert" : "status" }, text);
}

function setPage(name) {
  for (const button of document.querySelectorAll("nav button[data-page]")) button.classList.toggle("current", button.dataset.page === name);
  const target = main();
  target.replaceChildren(h("p", {}, "Loading…"));
  history.replaceState(null, "", "#" + name);
  pages[name](target).catch((error) => target.replaceChildren(message(error.message, true)));
}

function showLogin(note) {
  document.getElementById("nav").hidden = true;
  const input = h("input", { type: "password", name: "adminKey", autocomplete: "current-password", required: true, "aria-label": "Admin key" });
  const status = h("div");
  const form = h(
    "form",
    { className: "login" },
    h("section", {},
      h("h2", {}, "Log in"),
      h("p", { className: "muted" }, "Enter the ADMIN_KEY of this gemrelay."),
      note ? message(note, false) : null,
      h("label", {}, "Admin key", input),
      h("div", { className: "row" }, h("button", { type: "submit", className: "primary" }, "Log in")),
      status,
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", "/api/login", { adminKey: input.value });
      input.value = "";
      start();
    } catch (error) {
      status.replaceChildren(message(error.message, true));
    }
  });
  main().replaceChildren(form);
  input.focus();
}

function start() {
  document.getElementById("nav").hidden = false;
  const wanted = location.hash.slice(1);
  setPage(pages[wanted] ? wanted : "keys");
}

document.addEventListener("DOMContentLoaded", async () => {
  for (const button of document.querySelectorAll("nav button[data-page]")) button.addEventListener("click", () => setPage(button.dataset.page));
  document.getElementById("logout").addEventListener("click", async () => {
    await api("POST", "/api/logout").catch(() => undefined);
    showLogin("Logged out.");
  });
  const session = await api("GET", "/api/session").catch(() => ({ authenticated: false }));
  if (session.authenticated) start();
  else showLogin();
});
`;

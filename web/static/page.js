// What the journey pages share: building elements, the status line, GraphQL with the
// visitor's API token (kept in the browser's local storage) and signing in with one.
// Every piece of user text goes in through textContent, never innerHTML.
"use strict";

const TOKEN_KEY = "journeyops.token";

let token = null;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function say(text, isError = false) {
  const message = document.getElementById("message");
  message.textContent = text;
  message.classList.toggle("error", isError);
}

function words(value) {
  return value ? String(value).toLowerCase().replaceAll("_", " ") : "";
}

// A fresh idempotency key for one filled-in form: a double submit or a retry of it creates one
// row. getRandomValues, unlike randomUUID, works on pages served over plain HTTP too.
function requestKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function graphql(query, vars) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables: vars }),
  });
  if (response.status === 401) throw Object.assign(new Error("unauthorised"), { status: 401 });
  const body = await response.json();
  if (body.errors && body.errors.length) throw new Error(body.errors[0].message);
  return body.data;
}

function askForToken(reason, start) {
  if (reason) say(reason, true);
  const form = document.getElementById("sign-in");
  form.hidden = false;
  form.onsubmit = (event) => {
    event.preventDefault();
    const given = document.getElementById("token").value.trim();
    localStorage.setItem(TOKEN_KEY, given);
    form.hidden = true;
    start(given, null);
  };
}

// `start(secret, session)` once the visitor is known: a link from Slack first (it replaces any
// map session this tab held; see sign_in.js), then this tab's map session, then the saved API
// token (`session` null), else once the visitor has pasted one.
async function signIn(start) {
  document.getElementById("sign-out").onclick = () => {
    localStorage.removeItem(TOKEN_KEY);
    forgetSession();
    location.reload();
  };
  const link = takeSignInLink();
  if (link) {
    try {
      const session = await exchangeSignInLink(link);
      return signedIn(start, session);
    } catch (error) {
      forgetSession();
      return refuseLink(error.message, start);
    }
  }
  const session = savedSession();
  if (session) return signedIn(start, session);
  const saved = localStorage.getItem(TOKEN_KEY);
  if (saved) return start(saved, null);
  return askForToken(null, start);
}

function signedIn(start, session) {
  const badge = document.getElementById("signed-in");
  if (badge) {
    badge.textContent = `Signed in as ${session.name}${session.scope === "READ" ? " (read only)" : ""}`;
    badge.hidden = false;
  }
  return start(session.secret, session);
}

function refuseLink(reason, start) {
  const box = document.getElementById("link-refused");
  if (box) {
    document.getElementById("link-refused-reason").textContent = reason;
    box.hidden = false;
  } else {
    say(reason, true);
  }
  askForToken(null, start);
}

// The server refused what `start` was given: a map session has ended, or a token is not valid.
function tokenRefused(start, session = null) {
  if (session) {
    forgetSession();
    const badge = document.getElementById("signed-in");
    if (badge) badge.hidden = true;
    askForToken("Your sign-in from Slack has ended. Type /journey map in Slack for a new link.", start);
  } else {
    localStorage.removeItem(TOKEN_KEY);
    askForToken("That token was not accepted; paste a valid one.", start);
  }
}

// ---- forms whose payload errors show next to their fields ----

let fieldCount = 0;

// A labelled control named as its GraphQL input field, with a spot for that field's error.
function field(label, control, name) {
  const id = `field-${++fieldCount}`;
  control.id = id;
  control.name = name;
  const spot = el("span", "field-error");
  spot.id = `${id}-error`;
  spot.dataset.errorFor = name;
  spot.setAttribute("role", "alert");
  control.setAttribute("aria-describedby", spot.id);
  const caption = el("label", null, label);
  caption.htmlFor = id;
  const box = el("span", "field");
  box.append(caption, control, spot);
  return box;
}

function input(value = "", type = "text") {
  const box = el("input");
  box.type = type;
  box.value = value;
  return box;
}

// options: [value, label] pairs.
function choice(options, value = "") {
  const box = el("select");
  for (const [optionValue, label] of options) {
    const option = el("option", null, label);
    option.value = optionValue;
    box.append(option);
  }
  box.value = value;
  return box;
}

function button(label, onclick, type = "button") {
  const box = el("button", null, label);
  box.type = type;
  if (onclick) box.onclick = onclick;
  return box;
}

// A form with a spot for errors that belong to none of its fields; `submit` runs on submit.
function form(className, submit) {
  const box = el("form", className);
  box.noValidate = true;
  box.onsubmit = (event) => {
    event.preventDefault();
    submit().catch((error) => showErrors(box, [{ field: null, message: error.message }]));
  };
  return box;
}

function formError(box) {
  let spot = box.querySelector(":scope > .form-error");
  if (!spot) {
    spot = el("p", "form-error");
    spot.setAttribute("role", "alert");
    box.append(spot);
  }
  return spot;
}

function showErrors(box, errors) {
  for (const spot of box.querySelectorAll(".field-error, .form-error")) spot.textContent = "";
  for (const control of box.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  for (const { field: name, message } of errors) {
    const spot = name && box.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    if (spot) {
      spot.textContent = message;
      box.querySelector(`[name="${CSS.escape(name)}"]`).setAttribute("aria-invalid", "true");
    } else {
      formError(box).textContent = message;
    }
  }
}

// Run mutation `name` with `input`; its payload, or null after showing its errors in `box`.
async function mutate(box, name, input, returns = "") {
  const type = `${name[0].toUpperCase()}${name.slice(1)}Input`;
  const data = await graphql(
    `mutation ($input: ${type}!) { ${name}(input: $input) { ${returns} errors { field message } } }`,
    { input },
  );
  const payload = data[name];
  showErrors(box, payload.errors);
  return payload.errors.length ? null : payload;
}

// The journey map page: reads one journey over GraphQL and follows new observations live.
// Every piece of user text goes in through textContent, never innerHTML.
"use strict";

const JOURNEY_ID = document.body.dataset.journeyId;
const TOKEN_KEY = "journeyops.token";

const QUERY = `query JourneyMap($id: ID!) {
  journey(id: $id) {
    name description timezone conversionWindowDays
    persona { name }
    stages {
      id name customerGoal expectedEmotion
      touchpoints { name channel eventNames observationCount ownerTeam { name } }
      observations(first: 3) { edges { node { text kind emotion authorName createdAt } } }
    }
  }
}`;

const SUBSCRIPTION = `subscription Live($id: ID!) {
  observationLogged(journeyId: $id) { id }
}`;

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

async function graphql(token, query, variables) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  if (response.status === 401) throw Object.assign(new Error("unauthorised"), { status: 401 });
  const body = await response.json();
  if (body.errors && body.errors.length) throw new Error(body.errors[0].message);
  return body.data;
}

function renderStage(stage) {
  const column = el("section", "stage");
  column.append(el("h2", null, stage.name));
  if (stage.customerGoal) column.append(el("p", "goal", `Goal: ${stage.customerGoal}`));
  if (stage.expectedEmotion) {
    column.append(el("p", "emotion", `Customers expect to feel ${words(stage.expectedEmotion)}`));
  }
  for (const touchpoint of stage.touchpoints) {
    const card = el("div", "touchpoint");
    card.append(el("strong", null, touchpoint.name));
    card.append(el("span", "tag", words(touchpoint.channel)));
    if (touchpoint.ownerTeam) card.append(el("span", "tag", touchpoint.ownerTeam.name));
    const count = touchpoint.observationCount;
    card.append(el("span", "tag", `${count} observation${count === 1 ? "" : "s"}`));
    column.append(card);
  }
  for (const { node } of stage.observations.edges) {
    const quote = el("blockquote", `observation ${node.kind.toLowerCase()}`, node.text);
    const when = new Date(node.createdAt).toLocaleDateString();
    quote.append(el("cite", null, `${words(node.kind)} · ${node.authorName} · ${when}`));
    column.append(quote);
  }
  return column;
}

async function show(token) {
  const data = await graphql(token, QUERY, { id: JOURNEY_ID });
  if (!data.journey) {
    say("This journey does not exist, or your token's workspace cannot see it.", true);
    return false;
  }
  const journey = data.journey;
  document.title = `${journey.name} · JourneyOps`;
  document.getElementById("title").textContent = journey.name;
  const who = journey.persona ? journey.persona.name : "all customers";
  document.getElementById("subtitle").textContent =
    `${who} · conversion window ${journey.conversionWindowDays} days · ${journey.timezone}`;
  document.getElementById("map").replaceChildren(...journey.stages.map(renderStage));
  say(journey.stages.length ? "" : "This journey has no stages yet.");
  return true;
}

// graphql-transport-ws: connection_init → connection_ack → subscribe → next…
function follow(token) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/graphql`, "graphql-transport-ws");
  socket.onopen = () =>
    socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${token}` } }));
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "connection_ack") {
      document.getElementById("live").hidden = false;
      socket.send(JSON.stringify({
        id: "live", type: "subscribe",
        payload: { query: SUBSCRIPTION, variables: { id: JOURNEY_ID } },
      }));
    } else if (message.type === "next") {
      show(token).catch((error) => say(error.message, true));
    } else if (message.type === "ping") {
      socket.send(JSON.stringify({ type: "pong" }));
    }
  };
  socket.onclose = () => {
    document.getElementById("live").hidden = true;
    setTimeout(() => follow(token), 5000);
  };
}

function askForToken(reason) {
  if (reason) say(reason, true);
  const form = document.getElementById("sign-in");
  form.hidden = false;
  form.onsubmit = (event) => {
    event.preventDefault();
    const token = document.getElementById("token").value.trim();
    localStorage.setItem(TOKEN_KEY, token);
    form.hidden = true;
    start(token);
  };
}

async function start(token) {
  say("Loading…");
  try {
    if (await show(token)) follow(token);
    document.getElementById("sign-out").hidden = false;
  } catch (error) {
    if (error.status === 401) {
      localStorage.removeItem(TOKEN_KEY);
      askForToken("That token was not accepted; paste a valid one.");
    } else {
      say(`Could not load the map: ${error.message}`, true);
    }
  }
}

document.getElementById("sign-out").onclick = () => {
  localStorage.removeItem(TOKEN_KEY);
  location.reload();
};

const saved = localStorage.getItem(TOKEN_KEY);
if (saved) start(saved);
else askForToken();

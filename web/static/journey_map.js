// The journey map page: reads `journeyMap` over GraphQL for the period, persona and entry
// channel in the address, draws stages as columns and lanes as rows, the funnel and emotion
// curve with vega-embed, and follows new observations and alerts live (page.js holds what
// the pages share; journey_map_edit.js the editing). Every piece of user text goes in
// through textContent, never innerHTML.
"use strict";

const JOURNEY_ID = document.body.dataset.journeyId;
const MORE_PAGE = 10;

const FIGURES = `entered converted dropped pending conversionRate dropOffRate
  medianTimeToConvert p90TimeToConvert`;

// An observation as the map quotes it, with how often its problem was raised (+1s).
const SEEN = `fragment Seen on Observation { text authorName createdAt permalink
  authorTeam { name } mentions { raisedTimes raisedByTeams } }`;

const MAP = `query JourneyMap($id: ID!, $days: Int, $from: Date, $to: Date, $personaId: ID,
    $channel: Channel) {
  journeyMap(journeyId: $id, days: $days, from: $from, to: $to, personaId: $personaId,
             channel: $channel) {
    map {
      from to previousFrom previousTo since until asOf
      journey { name timezone conversionWindowDays }
      persona { id name } channel
      stages {
        stage { id name customerGoal expectedEmotion }
        figures { ${FIGURES} }
        change { ${FIGURES} }
        touchpoints { reach touchpoint { name channel eventNames ownerTeam { name } } }
        emotions { counts { emotion observations } recorded sentiment expected expectedScore }
        observations { kind total observations {
          edges { node { ...Seen } } pageInfo { hasNextPage endCursor } } }
        alerts { status pValue assigneeName driver { dimension label }
                 recent { dropOffRate } baseline { dropOffRate } }
        detectableFalls { points reason }
        actions { observationCount action { title status dueOn ownerTeam { name } } }
      }
      journeyActions { observationCount action { title status dueOn ownerTeam { name } } }
      picture
    }
    errors { field message }
  }
  personas { id name }
  channels: __type(name: "Channel") { enumValues { name } }
}
${SEEN}`;

const MORE = `query More($filter: ObservationFilter, $after: String, $first: Int!) {
  observations(filter: $filter, first: $first, after: $after) {
    edges { node { ...Seen } }
    pageInfo { hasNextPage endCursor }
  }
}
${SEEN}`;

// What changes the map without a reload: each of these re-reads it.
const SUBSCRIPTIONS = {
  observations: `subscription ($id: ID!) { observationLogged(journeyId: $id) { id } }`,
  alerts: `subscription ($id: ID!) { alertFired(journeyId: $id) { id } }`,
};
// graphql-transport-ws closes with 4403 when connection_init's token is refused.
const TOKEN_REFUSED = 4403;
const RETRY_FIRST_MS = 1000;
const RETRY_MOST_MS = 30000;

const LANES = [
  ["goal", "Goal and expected emotion"],
  ["funnel", "Funnel"],
  ["touchpoints", "Touchpoints"],
  ["emotions", "Emotions recorded"],
  ["observations", "Observations"],
  ["alerts", "Open alerts"],
  ["detectable", "Smallest fall alerts can detect"],
  ["actions", "Actions"],
];

const KINDS = {
  PAIN_POINT: "Pain points",
  OPPORTUNITY: "Opportunities",
  INSIGHT: "Insights",
  PRAISE: "Praise",
  QUESTION: "Questions",
};

let shownStage = 0;
let stageCount = 0;

function percent(value) {
  return value === null || value === undefined ? "–" : `${(value * 100).toFixed(1)}%`;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

// The change against the period before, in words and arrows (never colour alone).
function change(delta, kind) {
  if (delta === null || delta === undefined) return "no figure before";
  let size;
  if (kind === "rate") size = `${Math.abs(delta * 100).toFixed(1)} pts`;
  else if (kind === "time") size = duration(Math.abs(delta));
  else size = Math.abs(delta).toLocaleString();
  if (Math.abs(delta) < 1e-9) return "same as before";
  return `${delta > 0 ? "▲ up" : "▼ down"} ${size} vs before`;
}

// ---- the address: period, persona and channel live in the query string ----

function viewFromAddress() {
  const query = new URLSearchParams(location.search);
  const view = { persona: query.get("persona") || "", channel: query.get("channel") || "" };
  if (query.get("from") && query.get("to")) {
    Object.assign(view, { from: query.get("from"), to: query.get("to") });
  } else {
    view.days = Number(query.get("days")) || 30;
  }
  return view;
}

function variables(view) {
  return {
    id: JOURNEY_ID,
    days: view.days || null,
    from: view.from || null,
    to: view.to || null,
    personaId: view.persona || null,
    channel: view.channel || null,
  };
}

function addressOf(view) {
  const query = new URLSearchParams();
  if (view.from && view.to) {
    query.set("from", view.from);
    query.set("to", view.to);
  } else {
    query.set("days", String(view.days || 30));
  }
  if (view.persona) query.set("persona", view.persona);
  if (view.channel) query.set("channel", view.channel);
  return `?${query}`;
}

function viewFromForm() {
  const period = document.getElementById("period").value;
  const view = {
    persona: document.getElementById("persona").value,
    channel: document.getElementById("channel").value,
  };
  const from = document.getElementById("from").value;
  const to = document.getElementById("to").value;
  if (period === "custom" && from && to) Object.assign(view, { from, to });
  else view.days = period === "custom" ? 30 : Number(period);
  return view;
}

function fillForm(view, data) {
  const period = document.getElementById("period");
  period.value = view.from ? "custom" : String(view.days);
  if (period.value === "") period.value = "custom";
  document.getElementById("from").value = data.map ? data.map.from : view.from || "";
  document.getElementById("to").value = data.map ? data.map.to : view.to || "";
  const custom = period.value === "custom";
  document.getElementById("from-label").hidden = !custom;
  document.getElementById("to-label").hidden = !custom;
  const persona = document.getElementById("persona");
  persona.replaceChildren(el("option", null, "All customers"));
  persona.firstChild.value = "";
  for (const p of data.personas) {
    const option = el("option", null, p.name);
    option.value = p.id;
    persona.append(option);
  }
  persona.value = view.persona;
  const channel = document.getElementById("channel");
  channel.replaceChildren(el("option", null, "Any"));
  channel.firstChild.value = "";
  for (const { name } of data.channels.enumValues) {
    const option = el("option", null, words(name));
    option.value = name;
    channel.append(option);
  }
  channel.value = view.channel;
  document.getElementById("view").hidden = false;
}

// ---- lanes ----

function figure(name, label, value, shown, delta, kind) {
  const box = el("div", "figure");
  box.dataset.figure = name;
  box.dataset.value = value === null || value === undefined ? "" : String(value);
  box.append(el("span", "label", label), el("span", "value", shown));
  box.append(el("span", "change", change(delta, kind)));
  return box;
}

function funnel(stage, last) {
  const f = stage.figures;
  const c = stage.change;
  const cell = [figure("entered", "Entered", f.entered, f.entered.toLocaleString(), c.entered)];
  if (last) {
    cell.push(el("p", "note", "The last stage: customers who reach it have arrived."));
    return cell;
  }
  cell.push(
    figure("conversionRate", "Conversion", f.conversionRate, percent(f.conversionRate),
      c.conversionRate, "rate"),
    figure("dropOffRate", "Drop-off", f.dropOffRate, percent(f.dropOffRate), c.dropOffRate, "rate"),
    figure("converted", "Converted", f.converted, f.converted.toLocaleString(), c.converted),
    figure("dropped", "Dropped", f.dropped, f.dropped.toLocaleString(), c.dropped),
    figure("pending", "Pending", f.pending, f.pending.toLocaleString(), c.pending),
    figure("medianTimeToConvert", "Median time to convert", f.medianTimeToConvert,
      duration(f.medianTimeToConvert), c.medianTimeToConvert, "time"),
    figure("p90TimeToConvert", "90th percentile", f.p90TimeToConvert,
      duration(f.p90TimeToConvert), c.p90TimeToConvert, "time"),
  );
  return cell;
}

function goal(stage) {
  const cell = [];
  cell.push(el("p", "goal", stage.stage.customerGoal ? `Goal: ${stage.stage.customerGoal}` : "No goal written yet."));
  if (stage.stage.expectedEmotion) {
    cell.push(el("p", "emotion", `Expected to feel ${words(stage.stage.expectedEmotion)}`));
  }
  return cell;
}

function touchpoints(stage) {
  if (!stage.touchpoints.length) return [el("p", "note", "No touchpoints.")];
  return stage.touchpoints.map(({ touchpoint, reach }) => {
    const card = el("div", "touchpoint");
    card.append(el("strong", null, touchpoint.name));
    card.append(el("span", "tag", words(touchpoint.channel)));
    if (touchpoint.ownerTeam) card.append(el("span", "tag", `team ${touchpoint.ownerTeam.name}`));
    const reached = reach === null ? "other channel" : `${reach.toLocaleString()} reached`;
    card.append(el("span", "tag", reached));
    if (touchpoint.eventNames.length) {
      card.append(el("span", "events", `Events: ${touchpoint.eventNames.join(", ")}`));
    }
    return card;
  });
}

function emotions(stage) {
  const e = stage.emotions;
  const cell = [];
  const sentiment = e.sentiment === null ? "none recorded" : e.sentiment.toFixed(1);
  let line = `Sentiment ${sentiment}`;
  if (e.expectedScore !== null) line += ` (expected ${words(e.expected)}: ${e.expectedScore.toFixed(1)})`;
  cell.push(el("p", "sentiment", line));
  if (e.counts.length) {
    const list = el("ul", "counts");
    for (const { emotion, observations } of e.counts) {
      list.append(el("li", null, `${words(emotion)} × ${observations}`));
    }
    cell.push(list);
  }
  return cell;
}

function quote(node) {
  const item = el("blockquote", "observation", node.text);
  const who = [node.authorName];
  if (node.authorTeam) who.push(node.authorTeam.name);
  who.push(new Date(node.createdAt).toLocaleDateString());
  const cite = el("cite", null, who.join(" · "));
  if (node.permalink) {
    const link = el("a", null, "in Slack");
    link.href = node.permalink;
    link.rel = "noopener noreferrer";
    cite.append(" · ", link);
  }
  const raised = raisedWords(node.mentions);
  if (raised) item.append(el("strong", "raised", raised));
  item.append(cite);
  return item;
}

// "raised 7 times by 3 teams" once others said they saw the same (+1); nothing otherwise.
function raisedWords({ raisedTimes, raisedByTeams }) {
  if (raisedTimes < 2) return "";
  const teams = raisedByTeams ? ` by ${raisedByTeams} team${raisedByTeams === 1 ? "" : "s"}` : "";
  return `raised ${raisedTimes} times${teams}`;
}

function observations(stage, map) {
  if (!stage.observations.length) return [el("p", "note", "Nothing logged in this period.")];
  return stage.observations.map((group) => {
    const box = el("section", `kind ${group.kind.toLowerCase()}`);
    box.append(el("h4", null, `${KINDS[group.kind]} (${group.total})`));
    const list = el("div", "quotes");
    for (const { node } of group.observations.edges) list.append(quote(node));
    box.append(list);
    let page = group.observations.pageInfo;
    if (page.hasNextPage) {
      const more = el("button", "more", "Show more");
      more.type = "button";
      more.onclick = async () => {
        const filter = { stageId: stage.stage.id, kind: group.kind, since: map.since, until: map.until };
        const data = await graphql(MORE, { filter, after: page.endCursor, first: MORE_PAGE });
        for (const { node } of data.observations.edges) list.append(quote(node));
        page = data.observations.pageInfo;
        more.hidden = !page.hasNextPage;
      };
      box.append(more);
    }
    return box;
  });
}

function alertCard(alert) {
  const box = el("div", "alert");
  box.append(el("strong", null, `⚠ Alert: ${words(alert.status)}`));
  box.append(el("p", null, `Drop-off ${percent(alert.recent.dropOffRate)} now vs ${percent(alert.baseline.dropOffRate)} baseline`));
  box.append(el("p", null, `p-value ${alert.pValue.toExponential(1)}`));
  if (alert.driver) box.append(el("p", null, `Driven by ${alert.driver.dimension} ${alert.driver.label}`));
  box.append(el("p", null, alert.assigneeName ? `Assigned to ${alert.assigneeName}` : "Not assigned"));
  return box;
}

function alerts(stage) {
  if (!stage.alerts.length) return [el("p", "note", "None open.")];
  return stage.alerts.map(alertCard);
}

// What the rules watching the stage can show at its volume, each different sentence once.
function detectable(stage) {
  if (!stage.detectableFalls.length) return [el("p", "note", "No alert rule watches it.")];
  const said = stage.detectableFalls.map(({ points, reason }) =>
    points === null ? reason : `Can detect a fall of ${points.toFixed(1)} pts`);
  return [...new Set(said)].map((text) => el("p", "note", text));
}

function actionCard({ action, observationCount }) {
  const box = el("div", "action");
  box.append(el("strong", null, action.title));
  const team = action.ownerTeam ? `owned by ${action.ownerTeam.name}` : "no owner";
  const due = action.dueOn ? ` · due ${action.dueOn}` : "";
  const linked = `${observationCount} observation${observationCount === 1 ? "" : "s"}`;
  box.append(el("p", null, `${team}${due} · ${linked}`));
  return box;
}

// Actions come by status (in progress, open, done, dropped): a heading before each status.
function actionsByStatus(list) {
  const cells = [];
  let status = null;
  for (const item of list) {
    if (item.action.status !== status) {
      status = item.action.status;
      cells.push(el("h4", "action-status", words(status)));
    }
    cells.push(actionCard(item));
  }
  return cells;
}

function actions(stage) {
  if (!stage.actions.length) return [el("p", "note", "No actions.")];
  return actionsByStatus(stage.actions);
}

const LANE_CELLS = {
  goal, funnel, touchpoints, emotions, observations, alerts, detectable, actions,
};

function row(className, header, cells) {
  const line = el("div", `row ${className}`);
  line.setAttribute("role", "row");
  line.append(header, ...cells);
  return line;
}

function renderMap(map) {
  const grid = document.getElementById("map");
  stageCount = map.stages.length;
  grid.style.setProperty("--stages", String(Math.max(stageCount, 1)));
  const corner = el("div", "corner", "Lane");
  corner.setAttribute("role", "columnheader");
  const heads = map.stages.map((stage, n) => {
    const head = el("h2", "cell stage-name", `${n + 1}. ${stage.stage.name}`);
    head.setAttribute("role", "columnheader");
    head.dataset.stageIndex = String(n);
    return head;
  });
  const rows = [row("stages", corner, heads)];
  for (const [lane, label] of LANES) {
    const header = el("h3", "lane", label);
    header.setAttribute("role", "rowheader");
    const cells = map.stages.map((stage, n) => {
      const cell = el("div", `cell ${lane}`);
      cell.setAttribute("role", "cell");
      cell.dataset.stageIndex = String(n);
      cell.dataset.stage = stage.stage.name;
      cell.append(...LANE_CELLS[lane](stage, lane === "funnel" ? n === stageCount - 1 : map));
      return cell;
    });
    rows.push(row(lane, header, cells));
  }
  grid.replaceChildren(...rows);
  if (map.journeyActions.length) {
    const wide = el("section", "journey-actions");
    wide.append(el("h3", null, "Actions on the whole journey"), ...actionsByStatus(map.journeyActions));
    grid.append(wide);
  }
  showStage(Math.min(shownStage, Math.max(stageCount - 1, 0)));
}

function showStage(n) {
  shownStage = n;
  for (const cell of document.querySelectorAll("[data-stage-index]")) {
    cell.classList.toggle("current", cell.dataset.stageIndex === String(n));
  }
  const head = document.querySelector(`.stage-name[data-stage-index="${n}"]`);
  document.getElementById("stage-shown").textContent = head ? head.textContent : "";
  document.getElementById("previous-stage").disabled = n <= 0;
  document.getElementById("next-stage").disabled = n >= stageCount - 1;
  document.getElementById("stage-picker").hidden = stageCount < 2;
}

async function drawPicture(spec) {
  const figure = document.getElementById("picture");
  figure.hidden = false;
  // ast: Vega's expressions are interpreted, not compiled with eval (the CSP forbids it);
  // defaultStyle: false adds no inline stylesheet; no actions menu, no tooltip styles.
  await vegaEmbed(figure, spec, {
    ast: true,
    defaultStyle: false,
    actions: false,
    tooltip: false,
    renderer: "svg",
  });
}

async function show() {
  const view = viewFromAddress();
  const data = await graphql(MAP, variables(view));
  const result = data.journeyMap;
  fillForm(view, { ...data, map: result.map });
  if (!result.map) {
    say(result.errors.map((e) => e.message).join(" "), true);
    return false;
  }
  const map = result.map;
  document.title = `${map.journey.name} · JourneyOps`;
  document.getElementById("title").textContent = map.journey.name;
  const who = map.persona ? map.persona.name : "all customers";
  const channel = map.channel ? ` entering by ${words(map.channel)}` : "";
  document.getElementById("subtitle").textContent =
    `${who}${channel} · ${map.from} to ${map.to} (excluded), against ${map.previousFrom} to ` +
    `${map.previousTo} · ${map.journey.timezone}`;
  renderMap(map);
  await drawPicture(map.picture);
  say(map.stages.length ? "" : "This journey has no stages yet.");
  document.body.dataset.asOf = map.asOf;
  document.body.dataset.loaded = addressOf(view);
  document.dispatchEvent(new CustomEvent("map-shown"));
  return true;
}

async function download(format) {
  say(`Drawing the ${format.toUpperCase()}…`);
  const response = await fetch(`/journeys/${JOURNEY_ID}.${format}${addressOf(viewFromAddress())}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({ errors: [{ message: response.statusText }] }));
    say(`Could not export: ${body.errors[0].message}`, true);
    return;
  }
  const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
  const link = el("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = name ? name[1] : `journey.${format}`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  say("");
}

// The map read again, e.g. after a live message; a refused token stops there and says so.
function refresh() {
  show().catch((error) => {
    if (error.status === 401) tokenRefused(start, signedInWith);
    else say(`Could not load the map: ${error.message}`, true);
  });
}

// Figures move with every event ingested, which no subscription announces: while the page is
// in view it reads the map again every minute (observations and alerts arrive at once).
const FIGURES_EVERY_MS = 60_000;
let freshening = null;

function keepFiguresFresh() {
  if (freshening) return;
  freshening = setInterval(() => {
    if (document.visibilityState === "visible" && document.body.dataset.live !== "refused") refresh();
  }, FIGURES_EVERY_MS);
}

// graphql-transport-ws: connection_init → connection_ack → subscribe → next…
// A dropped connection is retried with a growing wait; once back, the map is read again for
// what happened meanwhile. A refused token (revoked since) ends the retries.
function follow(wait = RETRY_FIRST_MS, missed = false) {
  const live = document.getElementById("live");
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/graphql`, "graphql-transport-ws");
  let acknowledged = false;
  socket.onopen = () =>
    socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${token}` } }));
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "connection_ack") {
      acknowledged = true;
      live.hidden = false;
      live.textContent = "● live";
      for (const [id, query] of Object.entries(SUBSCRIPTIONS)) {
        socket.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables: { id: JOURNEY_ID } } }));
      }
      if (missed) refresh();
    } else if (message.type === "next") {
      refresh();
    } else if (message.type === "ping") {
      socket.send(JSON.stringify({ type: "pong" }));
    }
  };
  socket.onclose = (event) => {
    if (event.code === TOKEN_REFUSED) {
      live.hidden = false;
      live.textContent = "○ not live";
      document.body.dataset.live = "refused";
      say("Live updates stopped: this token is no longer accepted (revoked?). " +
        "Forget it and sign in with a valid one.", true);
      return;
    }
    live.hidden = true;
    const next = acknowledged ? RETRY_FIRST_MS : Math.min(wait * 2, RETRY_MOST_MS);
    setTimeout(() => follow(next, true), acknowledged ? RETRY_FIRST_MS : wait);
  };
}

// `session`: a map session from a Slack link (see sign_in.js); otherwise an API token.
let signedInWith = null; // the map session the page started with, if any

async function start(given, session = null) {
  token = given;
  signedInWith = session;
  say("Loading…");
  try {
    if (await show()) {
      follow();
      keepFiguresFresh();
    }
    document.getElementById("sign-out").hidden = false;
  } catch (error) {
    if (error.status === 401) {
      tokenRefused(start, session);
    } else {
      say(`Could not load the map: ${error.message}`, true);
    }
  }
}

function changeView() {
  const period = document.getElementById("period").value;
  const custom = period === "custom";
  document.getElementById("from-label").hidden = !custom;
  document.getElementById("to-label").hidden = !custom;
  history.replaceState(null, "", addressOf(viewFromForm()));
  say("Loading…");
  show().catch((error) => say(`Could not load the map: ${error.message}`, true));
}

for (const id of ["period", "from", "to", "persona", "channel"]) {
  document.getElementById(id).onchange = changeView;
}
document.getElementById("view").onsubmit = (event) => event.preventDefault();
for (const button of document.querySelectorAll("[data-export]")) {
  button.onclick = () => download(button.dataset.export).catch((error) => say(error.message, true));
}
document.getElementById("previous-stage").onclick = () => showStage(Math.max(shownStage - 1, 0));
document.getElementById("next-stage").onclick = () => showStage(Math.min(shownStage + 1, stageCount - 1));
signIn(start);

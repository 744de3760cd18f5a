// Editing the journey on its map page, through the public GraphQL mutations only: rename it
// and choose its persona; add, edit, reorder and remove stages; add, edit and delete
// touchpoints, mapping the workspace's unmapped events to them; log an observation. Shown
// only to a token that may write. Each payload error shows next to its field.
"use strict";

const EDITOR_VIEWER = `query { viewer { scope } }`;

const EDITOR = `query Editor($id: ID!) {
  journey(id: $id) {
    name persona { id }
    stages {
      id name customerGoal expectedEmotion
      observations(first: 1) { edges { node { id } } }
      touchpoints { id name channel eventNames ownerTeam { id } }
    }
  }
  teams { id name }
  personas { id name }
  unmappedEvents { name events }
  emotions: __type(name: "Emotion") { enumValues { name } }
  channels: __type(name: "Channel") { enumValues { name } }
  kinds: __type(name: "ObservationKind") { enumValues { name } }
}`;

let editing = null; // what the editor was last built from

function named(values, none) {
  const options = values.map((v) => [v.name, words(v.name)]);
  return none ? [["", none], ...options] : options;
}

function ids(rows, none) {
  return [["", none], ...rows.map((row) => [row.id, row.name])];
}

// After a change: the editor and the map read again.
async function changed(message) {
  await loadEditor();
  await show();
  say(message);
}

function journeyForm(data) {
  const journey = data.journey;
  const name = input(journey.name);
  const persona = choice(ids(data.personas, "All customers"), journey.persona ? journey.persona.id : "");
  const box = form("edit-journey", async () => {
    const input_ = { id: JOURNEY_ID, name: name.value, personaId: persona.value || null };
    if (await mutate(box, "updateJourney", input_)) await changed("Journey saved.");
  });
  box.append(
    field("Journey name", name, "name"),
    field("Drawn for persona", persona, "personaId"),
    button("Save journey", null, "submit"),
  );
  return box;
}

// Event names as removable tags, and a list of the workspace's unmapped events to add from.
function eventPicker(names) {
  const chosen = [...names];
  const tags = el("span", "event-tags");
  const pick = choice([
    ["", "Add an unmapped event…"],
    ...editing.unmappedEvents.map((e) => [e.name, `${e.name} (${e.events.toLocaleString()} events)`]),
  ]);
  function draw() {
    tags.replaceChildren(...chosen.map((name) => {
      const tag = el("span", "tag", name);
      const remove = button("×", () => {
        chosen.splice(chosen.indexOf(name), 1);
        draw();
      });
      remove.setAttribute("aria-label", `Remove event ${name}`);
      tag.append(remove);
      return tag;
    }));
  }
  pick.onchange = () => {
    if (pick.value && !chosen.includes(pick.value)) chosen.push(pick.value);
    pick.value = "";
    draw();
  };
  draw();
  return { tags, pick, chosen };
}

function touchpointControls(touchpoint) {
  const name = input(touchpoint ? touchpoint.name : "");
  const channel = choice(named(editing.channels.enumValues), touchpoint ? touchpoint.channel : "WEB");
  const team = choice(ids(editing.teams, "No team"), touchpoint && touchpoint.ownerTeam ? touchpoint.ownerTeam.id : "");
  const events = eventPicker(touchpoint ? touchpoint.eventNames : []);
  const fields = [
    field("Touchpoint name", name, "name"),
    field("Channel", channel, "channel"),
    field("Owning team", team, "ownerTeamId"),
    field("Events", events.pick, "eventNames"),
  ];
  fields[3].insertBefore(events.tags, events.pick);
  const values = () => ({
    name: name.value, channel: channel.value, ownerTeamId: team.value || null, eventNames: events.chosen,
  });
  return { fields, values };
}

function touchpointForm(touchpoint) {
  const controls = touchpointControls(touchpoint);
  const box = form("edit-touchpoint", async () => {
    if (await mutate(box, "updateTouchpoint", { id: touchpoint.id, ...controls.values() })) {
      await changed(`Touchpoint “${touchpoint.name}” saved.`);
    }
  });
  const remove = button("Delete touchpoint", async () => {
    if (await mutate(box, "deleteTouchpoint", { id: touchpoint.id })) {
      await changed(`Touchpoint “${touchpoint.name}” deleted.`);
    }
  });
  box.append(...controls.fields, button("Save touchpoint", null, "submit"), remove);
  return box;
}

function newTouchpointForm(stage) {
  const controls = touchpointControls(null);
  const box = form("add-touchpoint", async () => {
    if (await mutate(box, "addTouchpoint", { stageId: stage.id, ...controls.values() })) {
      await changed("Touchpoint added.");
    }
  });
  box.append(el("h4", null, "New touchpoint"), ...controls.fields, button("Add touchpoint", null, "submit"));
  return box;
}

async function reorder(from, to, box) {
  const order = editing.journey.stages.map((s) => s.id);
  order.splice(to, 0, ...order.splice(from, 1));
  if (await mutate(box, "reorderStages", { journeyId: JOURNEY_ID, stageIds: order })) {
    await changed("Stages reordered.");
  }
}

// Removing a stage that holds touchpoints or observations asks where they go.
function removeStage(stage, box, holder) {
  const holds = stage.touchpoints.length || stage.observations.edges.length;
  const others = editing.journey.stages.filter((s) => s.id !== stage.id);
  const run = async (moveToStageId) => {
    const input_ = { id: stage.id, moveToStageId: moveToStageId || null };
    if (await mutate(box, "removeStage", input_)) await changed(`Stage “${stage.name}” removed.`);
  };
  if (!holds) return button("Remove stage", () => run(null));
  const ask = el("span", "move-to");
  ask.hidden = true;
  const target = choice(ids(others, "Choose a stage…"));
  ask.append(
    field("Move its touchpoints and observations to", target, "moveToStageId"),
    button("Remove and move", () => run(target.value)),
  );
  holder.append(ask);
  return button("Remove stage…", () => {
    ask.hidden = false;
    target.focus();
  });
}

function stageForm(stage, n, count) {
  const section = el("section", "edit-stage");
  section.dataset.stageId = stage.id;
  section.append(el("h3", null, `${n + 1}. ${stage.name}`));
  const name = input(stage.name);
  const goal = input(stage.customerGoal);
  const emotion = choice(named(editing.emotions.enumValues, "None"), stage.expectedEmotion || "");
  const box = form("stage-fields", async () => {
    const input_ = {
      id: stage.id, name: name.value, customerGoal: goal.value, expectedEmotion: emotion.value || null,
    };
    if (await mutate(box, "updateStage", input_)) await changed(`Stage “${name.value}” saved.`);
  });
  const moves = el("span", "stage-moves");
  const earlier = button("↑ Earlier", () => reorder(n, n - 1, box));
  earlier.disabled = n === 0;
  const later = button("↓ Later", () => reorder(n, n + 1, box));
  later.disabled = n === count - 1;
  moves.append(earlier, later);
  box.append(
    field("Stage name", name, "name"),
    field("Customer goal", goal, "customerGoal"),
    field("Expected emotion", emotion, "expectedEmotion"),
    button("Save stage", null, "submit"),
    moves,
  );
  box.append(removeStage(stage, box, box));
  section.append(box, ...stage.touchpoints.map(touchpointForm), newTouchpointForm(stage));
  return section;
}

function newStageForm() {
  const name = input();
  const goal = input();
  const emotion = choice(named(editing.emotions.enumValues, "None"));
  const box = form("add-stage", async () => {
    const input_ = {
      journeyId: JOURNEY_ID, name: name.value, customerGoal: goal.value, expectedEmotion: emotion.value || null,
    };
    if (await mutate(box, "addStage", input_)) await changed(`Stage “${name.value}” added.`);
  });
  box.append(
    el("h3", null, "New stage"),
    field("Stage name", name, "name"),
    field("Customer goal", goal, "customerGoal"),
    field("Expected emotion", emotion, "expectedEmotion"),
    button("Add stage", null, "submit"),
  );
  return box;
}

function observationForm() {
  const stages = editing.journey.stages;
  const stage = choice(ids(stages, "Choose a stage…"));
  const touchpoint = choice([["", "Any touchpoint"]]);
  stage.onchange = () => {
    const chosen = stages.find((s) => s.id === stage.value);
    touchpoint.replaceChildren(...choice(ids(chosen ? chosen.touchpoints : [], "Any touchpoint")).children);
  };
  const kind = choice(named(editing.kinds.enumValues), "PAIN_POINT");
  const emotion = choice(named(editing.emotions.enumValues, "None"));
  const persona = choice(ids(editing.personas, "All customers"));
  const text = el("textarea");
  text.rows = 2;
  let key = requestKey();
  const box = form("log-observation", async () => {
    const input_ = {
      text: text.value, kind: kind.value, stageId: stage.value || null,
      touchpointId: touchpoint.value || null, emotion: emotion.value || null,
      personaId: persona.value || null, idempotencyKey: key,
    };
    if (await mutate(box, "logObservation", input_)) {
      key = requestKey();
      text.value = "";
      await changed("Observation logged.");
    }
  });
  box.append(
    el("h3", null, "Log an observation"),
    field("Stage", stage, "stageId"),
    field("Touchpoint", touchpoint, "touchpointId"),
    field("Kind", kind, "kind"),
    field("Emotion", emotion, "emotion"),
    field("About", persona, "personaId"),
    field("What was seen", text, "text"),
    button("Log observation", null, "submit"),
  );
  return box;
}

async function loadEditor() {
  editing = await graphql(EDITOR, { id: JOURNEY_ID });
  const stages = editing.journey.stages;
  document.getElementById("editor-body").replaceChildren(
    journeyForm(editing),
    ...stages.map((stage, n) => stageForm(stage, n, stages.length)),
    newStageForm(),
    observationForm(),
  );
}

// Built once, when the map first shows and the token may write; later it is rebuilt only
// after its own changes, so a live update never wipes what someone is typing.
async function openEditor() {
  const { viewer } = await graphql(EDITOR_VIEWER);
  if (viewer.scope === "READ") {
    document.body.dataset.editor = "none";
    return;
  }
  await loadEditor();
  document.getElementById("editor").hidden = false;
  document.body.dataset.editor = "open";
}

document.addEventListener("map-shown", () => {
  openEditor().catch((error) => say(`Could not open the editor: ${error.message}`, true));
}, { once: true });

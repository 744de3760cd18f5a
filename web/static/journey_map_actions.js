// From an observation on the map to an action, through the public GraphQL mutations only:
// "+1 Same as this" (mentionObservation) and "Create action" (createAction), offered only to
// a credential that may write. The action form lives outside the map, so a live re-read of the
// map never wipes what someone is typing. User text goes in through textContent only.
"use strict";

const MENTIONED = `mutation ($input: MentionObservationInput!) {
  mentionObservation(input: $input) {
    observation { mentions { raisedTimes raisedByTeams } }
    errors { field message }
  }
}`;

const TEAMS = `query { teams { id name } }`;

let teams = null; // the workspace's teams, read when the action form first opens

// The buttons under an observation; `raised` is its "raised N times by M teams" line.
function observationButtons(node, stage, raised) {
  const box = el("span", "observation-buttons");
  const said = el("span", "observation-said");
  said.setAttribute("role", "status");
  const plusOne = button("+1 Same as this", () => sameAsThis(node, raised, said, plusOne));
  plusOne.className = "same-as-this";
  plusOne.setAttribute("aria-label", `+1 Same as this: “${node.text}”`);
  const create = button("Create action", () => openActionForm(node, stage));
  create.className = "create-action-button";
  create.setAttribute("aria-label", `Create action about “${node.text}”`);
  box.append(plusOne, create, said);
  return box;
}

async function sameAsThis(node, raised, said, plusOne) {
  plusOne.disabled = true;
  try {
    const { mentionObservation: payload } = await graphql(MENTIONED, {
      input: { observationId: node.id },
    });
    if (payload.errors.length) {
      said.textContent = payload.errors.map((e) => e.message).join(" ");
      said.classList.add("error");
      return;
    }
    said.classList.remove("error");
    const mentions = payload.observation.mentions;
    if (mentions.raisedTimes === node.mentions.raisedTimes) {
      said.textContent = "You have already raised this; nothing changed.";
    } else {
      said.textContent = "Counted: you saw the same.";
    }
    node.mentions = mentions;
    raised.textContent = raisedWords(mentions);
    raised.hidden = !raised.textContent;
  } catch (error) {
    said.textContent = `Could not count it: ${error.message}`;
    said.classList.add("error");
  } finally {
    plusOne.disabled = false;
  }
}

// The observations the map shows at the stage, to tick the ones the action also addresses.
function shownObservations(stage) {
  return stage.observations.flatMap((group) => group.observations.edges.map(({ node }) => node));
}

// What createAction does when ownerTeamId is left out: the team owning the stage's touchpoints.
function defaultTeamLabel(stage) {
  const owners = [...new Set(stage.touchpoints
    .filter(({ touchpoint }) => touchpoint.ownerTeam)
    .map(({ touchpoint }) => touchpoint.ownerTeam.name))];
  const who = owners.length === 1 ? owners[0] : "the team owning the stage's touchpoints";
  return `${who} (owns the stage's touchpoints)`;
}

function observationChoices(stage, chosen) {
  const list = el("fieldset", "action-observations");
  list.append(el("legend", null, "Observations it addresses"));
  for (const node of shownObservations(stage)) {
    const tick = el("input");
    tick.type = "checkbox";
    tick.name = "observationIds";
    tick.value = node.id;
    tick.checked = node.id === chosen.id;
    tick.id = `tick-${++fieldCount}`;
    const label = el("label", null, node.text);
    label.htmlFor = tick.id;
    const line = el("span", "tick");
    line.append(tick, label);
    list.append(line);
  }
  const spot = el("span", "field-error");
  spot.id = `field-${++fieldCount}-error`;
  spot.dataset.errorFor = "observationIds";
  spot.setAttribute("role", "alert");
  list.setAttribute("aria-describedby", spot.id);
  list.append(spot);
  return list;
}

async function openActionForm(node, stage) {
  if (!teams) teams = (await graphql(TEAMS)).teams;
  const holder = document.getElementById("create-action");
  const title = input();
  const team = choice([
    ["", defaultTeamLabel(stage)],
    ["none", "No team"],
    ...teams.map((t) => [t.id, t.name]),
  ]);
  const due = input("", "date");
  const key = requestKey();
  const box = form("create-action-form", async () => {
    const ticked = [...box.querySelectorAll('input[name="observationIds"]:checked')];
    const input_ = {
      journeyId: JOURNEY_ID,
      stageId: stage.stage.id,
      title: title.value,
      dueOn: due.value || null,
      observationIds: ticked.map((tick) => tick.value),
      idempotencyKey: key,
    };
    if (team.value) input_.ownerTeamId = team.value === "none" ? null : team.value;
    const payload = await mutate(box, "createAction", input_, "action { title }");
    if (!payload) return;
    holder.hidden = true;
    holder.replaceChildren();
    await show();
    say(`Action “${payload.action.title}” created.`);
  });
  const heading = el("h2", null, `Create an action at ${stage.stage.name}`);
  heading.id = "create-action-title";
  box.append(
    field("Title", title, "title"),
    field("Owning team", team, "ownerTeamId"),
    field("Due date", due, "dueOn"),
    observationChoices(stage, node),
    button("Create action", null, "submit"),
    button("Cancel", () => {
      holder.hidden = true;
      holder.replaceChildren();
    }),
  );
  holder.replaceChildren(heading, box);
  holder.hidden = false;
  holder.scrollIntoView({ block: "nearest" });
  title.focus();
}

// The list of journeys: each with its figures for the last 30 days (journeyHeadlines), and,
// for a token that may write, a form to start one blank or from a template (createJourney).
"use strict";

const LIST = `query {
  viewer { scope }
  journeyHeadlines(days: 30) {
    journey { id name stages { id } persona { name } }
    entered completed conversionRate openAlerts
  }
  journeyTemplates { name description stages { name customerGoal expectedEmotion } }
}`;

function percentOf(value) {
  return value === null ? "–" : `${(value * 100).toFixed(1)}%`;
}

function headlineRow(headline) {
  const row = el("tr");
  row.dataset.journeyId = headline.journey.id;
  const name = el("th");
  name.scope = "row";
  const link = el("a", null, headline.journey.name);
  link.href = `/journeys/${encodeURIComponent(headline.journey.id)}`;
  name.append(link);
  if (headline.journey.persona) name.append(el("span", "note", ` for ${headline.journey.persona.name}`));
  const alerts = headline.openAlerts ? `⚠ ${headline.openAlerts}` : "none";
  const conversion = headline.conversionRate === null
    ? "–" : `${percentOf(headline.conversionRate)} (${headline.completed.toLocaleString()})`;
  row.append(
    name,
    el("td", null, headline.journey.stages.length),
    el("td", null, headline.entered.toLocaleString()),
    el("td", null, conversion),
    el("td", null, alerts),
  );
  return row;
}

function newJourneyForm(templates) {
  const template = choice([["", "Blank (no stages)"], ...templates.map((t, n) => [String(n), t.name])]);
  const name = input();
  const stages = el("p", "note");
  template.onchange = () => {
    const chosen = templates[Number(template.value)];
    stages.textContent = chosen
      ? `${chosen.description} Stages: ${chosen.stages.map((s) => s.name).join(" → ")}.` : "";
    if (chosen && !name.value) name.value = chosen.name;
  };
  const box = form("create-journey", async () => {
    const chosen = template.value === "" ? null : templates[Number(template.value)];
    const payload = await mutate(box, "createJourney", {
      name: name.value, stages: chosen ? chosen.stages : [],
    }, "journey { id }");
    if (payload) location.assign(`/journeys/${encodeURIComponent(payload.journey.id)}`);
  });
  box.append(
    field("Start from", template, "template"),
    field("Journey name", name, "name"),
    button("Create journey", null, "submit"),
    stages,
  );
  return box;
}

async function start(given, session = null) {
  token = given;
  say("Loading…");
  try {
    const data = await graphql(LIST);
    const table = document.getElementById("journeys");
    table.querySelector("tbody").replaceChildren(...data.journeyHeadlines.map(headlineRow));
    table.hidden = false;
    document.getElementById("sign-out").hidden = false;
    if (data.viewer.scope !== "READ") {
      document.getElementById("new-journey").append(newJourneyForm(data.journeyTemplates));
      document.getElementById("new-journey").hidden = false;
    }
    say(data.journeyHeadlines.length ? "" : "No journeys yet.");
    document.body.dataset.loaded = "true";
  } catch (error) {
    if (error.status === 401) tokenRefused(start, session);
    else say(`Could not load the journeys: ${error.message}`, true);
  }
}

signIn(start);

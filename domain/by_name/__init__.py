"""The by-name layer: what people type (in Slack) turned into the rows they mean.

"In people's words" means, for every name or key looked up here (`matching.one`):

- case, outer spaces, runs of spaces, hyphens and underscores do not matter
  (“Product_Page” is “product page”);
- an exact name (or touchpoint key) wins; then names that start with what was typed, from
  three characters on (“online” for “Online purchase”); then small typos (“chekout”);
- when several fit equally well, `matching.Ambiguous` lists them (“Be more specific.”);
  when none does, `matching.Unknown` suggests the closest (“Did you mean …?”);
- a stage may be named with its journey, “Online purchase › decision” (or `>`, or just the
  words one after the other), which tells same-named stages of different journeys apart;
- with no journey named, the workspace's only journey is meant.

Pickers that fill in as people type (`places(search=…)`, `journey.containing`) match a part
of the name instead, in any case.

One module per concept: its finders first, then the use cases the chat door runs by that
concept's name (the journey map, joining a team, subscribing a channel, watching a stage with
an alert rule), each resolving the
words and calling the id-based use case. The entity services (`domain/<concept>/service.py`)
take ids and never import this package, so it sits above them without import circles. Use
cases that look a name up half-way through their work call the finders themselves: logging
an observation (the team is asked for before the touchpoint is looked up), a stage's
cross-team view (`domain.observation.team_views`), the alerts listed by name
(`domain.alert.named_list`), `/journey metrics`.
"""

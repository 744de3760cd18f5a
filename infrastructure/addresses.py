"""Addresses of this server's pages, as links sent out (Slack messages, the demo) give them."""

import uuid


def journey_map_url(
    base_url: str, journey_id: uuid.UUID, *, days: int | None = None, sign_in: str | None = None
) -> str:
    """The map page of a journey; with `sign_in`, a personal link whose secret rides in the
    fragment, which browsers never send to a server (web.sign_in)."""
    url = f"{base_url}/journeys/{journey_id}"
    if days is not None:
        url += f"?days={days}"
    if sign_in is not None:
        url += f"#sign-in={sign_in}"
    return url

"""What a person typed, made safe for a Slack message the domain writes (thread replies,
direct messages): Slack's three control characters escaped, so `<!channel>` or
`<https://evil|bank>` in an observation or an action's title shows as text and pings or
spoofs nobody (https://api.slack.com/reference/surfaces/formatting#escaping)."""


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote(text: str, limit: int) -> str:
    """User text on one line, cut to `limit` characters ("…" included), then escaped."""
    line = " ".join(text.split())
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return escape(line)

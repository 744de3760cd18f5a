"""Making text safe and short enough for Slack.

Everything a person typed is escaped before it goes into mrkdwn, so `<!channel>` or
`<https://evil|bank>` in an observation shows as text and pings or spoofs nobody.
"""

import re
from datetime import UTC, datetime

from domain.notification.text import escape

SECTION_MAX = 3000
BLOCKS_MAX = 50
PLAIN_TEXT_MAX = 75  # button and option labels
# What a cut must not leave half of at its end: an entity (`&lt;`) or a token (`<@U1>`, a link).
_OPEN_AT_END = re.compile(r"&[a-z]*$|<[^>]*$")


def unescape(text: str) -> str:
    """Slash command text arrives escaped; store what the person typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def shorten(text: str, limit: int) -> str:
    """Plain text cut to `limit` characters, "…" included."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def shorten_mrkdwn(mrkdwn: str, limit: int) -> str:
    """Escaped mrkdwn cut to `limit` characters, "…" included, never inside an entity or a
    `<…>` token (half an `&lt;` shows as garbage, half a link breaks the rest)."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    return _OPEN_AT_END.sub("", mrkdwn[: limit - 1]).rstrip() + "…"


def quote(text: str, limit: int = 280) -> str:
    """User text as a one-line escaped quote fit for a list."""
    return escape(shorten(" ".join(text.split()), limit))


def local_time(at: datetime) -> str:
    """A moment every reader sees in their own time zone (Slack's date token), with the UTC
    time as the fallback where Slack cannot format it
    (https://api.slack.com/reference/surfaces/formatting#date-formatting)."""
    fallback = f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"

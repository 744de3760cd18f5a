"""Request bodies read no further than a limit, for the doors that take uploads, and decoded
per `Content-Encoding` (gzip, deflate) with the same limit on the decoded bytes.

Segment's and RudderStack's libraries send gzip. A compressed body is inflated as it arrives,
never asked for more than the room left under the limit (zlib's `max_length`), so a gzip bomb
(50 KB that inflate to 50 MB) costs at most `limit + 1` decoded bytes before it is refused.
"""

import zlib

from starlette.types import Receive

ENCODINGS = ("gzip", "deflate")


class UnsupportedEncoding(ValueError):
    def __init__(self, encoding: str):
        super().__init__(
            f"Content-Encoding “{encoding[:40]}” is not supported; send the body as is or with "
            "gzip or deflate."
        )


class CorruptBody(ValueError):
    def __init__(self, encoding: str):
        super().__init__(
            f"The body is not a valid {encoding} stream (corrupt or cut short); compress it "
            "again, or send it uncompressed."
        )


class _TooLarge(Exception):
    pass


class _Inflater:
    """Decoded bytes of a gzip or deflate body fed in chunks, at most `limit` of them."""

    def __init__(self, encoding: str, limit: int):
        self.encoding, self.limit = encoding, limit
        self.parts: list[bytes] = []
        self.size = 0
        self.fed = False
        self.inflate = self._decompressor(zlib.MAX_WBITS)

    def _decompressor(self, wbits: int) -> "zlib._Decompress":
        return zlib.decompressobj(wbits=16 + wbits if self.encoding == "gzip" else wbits)

    def feed(self, data: bytes) -> None:
        first, self.fed = not self.fed, True
        try:
            self._feed(data)
        except zlib.error:
            if self.encoding != "deflate" or not first:
                raise CorruptBody(self.encoding) from None
            # "deflate" means a zlib stream (RFC 9110), but some senders send raw deflate: the
            # zlib header is refused at once, and the stream starts again as raw deflate.
            self.inflate = self._decompressor(-zlib.MAX_WBITS)
            self.parts, self.size = [], 0
            try:
                self._feed(data)
            except zlib.error:
                raise CorruptBody(self.encoding) from None

    def _feed(self, data: bytes) -> None:
        while data:
            # Room for one byte more than the limit, which says "too large" (and is never 0,
            # which would mean no cap). Output beyond it stays unmade.
            out = self.inflate.decompress(data, self.limit - self.size + 1)
            self.size += len(out)
            if self.size > self.limit:
                raise _TooLarge
            self.parts.append(out)
            if not self.inflate.eof:
                return
            data = self.inflate.unused_data
            if data and self.encoding != "gzip":  # only gzip has members one after another
                raise CorruptBody(self.encoding)
            if data:
                self.inflate = self._decompressor(zlib.MAX_WBITS)

    def result(self) -> bytes:
        if not self.inflate.eof:
            raise CorruptBody(self.encoding)
        return b"".join(self.parts)


def encoding_of(header: str | None) -> str | None:
    """The body's coding from a Content-Encoding header: None (as is), gzip or deflate;
    UnsupportedEncoding for anything else (several codings included)."""
    encoding = (header or "").strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding == "x-gzip":
        return "gzip"
    if encoding not in ENCODINGS:
        raise UnsupportedEncoding(encoding)
    return encoding


async def body_within(receive: Receive, limit: int, encoding: str | None = None) -> bytes | None:
    """The request body, decoded when `encoding` (see `encoding_of`) is given, or None as soon
    as it (or what it decodes to) grows past `limit` bytes: a chunked upload declares no
    length, so the bytes themselves are counted. CorruptBody when it does not decode."""
    inflater = _Inflater(encoding, limit) if encoding else None
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        if inflater is None:
            chunks.append(chunk)
        else:
            try:
                inflater.feed(chunk)
            except _TooLarge:
                return None
        if not message.get("more_body", False):
            break
    return inflater.result() if inflater else b"".join(chunks)

"""Capped request bodies, decoded per Content-Encoding with the cap on the decoded bytes."""

import gzip
import tracemalloc
import zlib

import pytest

from infrastructure.body import CorruptBody, UnsupportedEncoding, body_within, encoding_of

pytestmark = pytest.mark.pure

LIMIT = 500 * 1024
JSON = b'{"batch": [{"type": "track", "event": "Product Viewed"}]}' * 200


def received(data: bytes, chunk: int = 64 * 1024):
    """An ASGI receive() handing `data` over in chunks, as a server does."""
    parts = [data[i : i + chunk] for i in range(0, len(data), chunk)] or [b""]
    messages = iter(
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
        for i, part in enumerate(parts)
    )

    async def receive():
        return next(messages)

    return receive


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("header", "encoded"),
    [
        (None, JSON),
        ("identity", JSON),
        ("gzip", gzip.compress(JSON)),
        ("x-gzip", gzip.compress(JSON)),
        (" GZIP ", gzip.compress(JSON)),
        ("deflate", zlib.compress(JSON)),
        ("deflate", raw_deflate(JSON)),  # what some senders mean by deflate
        ("gzip", gzip.compress(JSON[:5000]) + gzip.compress(JSON[5000:])),  # two members
    ],
)
@pytest.mark.parametrize("chunk", [7, 64 * 1024])
async def test_a_body_is_decoded_as_its_content_encoding_says(header, encoded, chunk):
    assert await body_within(received(encoded, chunk), LIMIT, encoding_of(header)) == JSON


async def test_a_gzip_bomb_is_refused_without_being_inflated():
    bomb = gzip.compress(b" " * (200 * 1024 * 1024))  # 200 KB that inflate to 200 MB
    assert len(bomb) < LIMIT
    tracemalloc.start()
    try:
        body = await body_within(received(bomb), LIMIT, "gzip")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert body is None
    assert peak < 4 * LIMIT  # the limit and one chunk, not 200 MB


async def test_the_limit_holds_on_the_decoded_size_to_the_byte():
    exact = b"x" * LIMIT
    assert await body_within(received(gzip.compress(exact)), LIMIT, "gzip") == exact
    assert await body_within(received(gzip.compress(exact + b"x")), LIMIT, "gzip") is None
    assert await body_within(received(exact + b"x"), LIMIT) is None


@pytest.mark.parametrize(
    ("encoding", "corrupt"),
    [
        ("gzip", b"this is not gzip"),
        ("gzip", gzip.compress(JSON)[:-12]),  # cut short
        ("gzip", gzip.compress(JSON) + b"trailing junk"),
        ("gzip", b""),
        ("deflate", b"neither zlib nor raw deflate \xff\xff"),
        ("deflate", zlib.compress(JSON) + b"more"),
    ],
)
async def test_a_stream_that_does_not_decode_is_refused_as_corrupt(encoding, corrupt):
    with pytest.raises(CorruptBody, match=f"not a valid {encoding} stream"):
        await body_within(received(corrupt, 100), LIMIT, encoding)


@pytest.mark.parametrize("header", ["br", "zstd", "gzip, gzip", "compress"])
def test_other_encodings_are_unsupported(header):
    with pytest.raises(UnsupportedEncoding, match="gzip or deflate"):
        encoding_of(header)

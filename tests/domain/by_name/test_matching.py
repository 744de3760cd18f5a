"""Forgiving lookup: key or name, any case, small typos; ambiguity and suggestions."""

import pytest

from domain.by_name import matching

pytestmark = pytest.mark.pure

NAMES = {
    "checkout": ["checkout", "Checkout"],
    "product-page": ["product-page", "Product page"],
    "cart": ["cart", "Cart"],
    "chat": ["chat", "Live chat"],
}


def find(query: str) -> matching.Match[str]:
    return matching.match(query, list(NAMES), lambda key: NAMES[key])


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("checkout", "checkout"),
        ("CHECKOUT", "checkout"),
        ("product page", "product-page"),
        ("Product_Page", "product-page"),
        ("chekout", "checkout"),
        ("prodct page", "product-page"),
        ("live", "chat"),
    ],
)
def test_one_match(query, found):
    assert find(query).found == found


def test_cart_and_chat_are_not_typos_of_each_other():
    assert find("cart").found == "cart"
    assert find("chat").found == "chat"


def test_several_equally_good_are_candidates():
    items = ["a", "b"]
    result = matching.match("Checkout", items, lambda _: ["Checkout"])
    assert result.found is None
    assert result.candidates == ["a", "b"]


def test_nothing_close_gives_suggestions_or_nothing():
    assert find("page product").suggestions[0] == "product-page"
    assert find("zeppelin").suggestions == []


def test_one_raises_errors_that_say_what_to_type():
    with pytest.raises(matching.Unknown) as unknown:
        matching.one(
            "page product",
            list(NAMES),
            lambda k: NAMES[k],
            label="touchpoint",
            field="touchpoint",
            describe=str,
        )
    assert "Did you mean product-page" in unknown.value.message
    with pytest.raises(matching.Ambiguous) as ambiguous:
        matching.one(
            "x", ["a", "b"], lambda _: ["x"], label="touchpoint", field="touchpoint", describe=str
        )
    assert ambiguous.value.candidates == ["a", "b"]
    assert ambiguous.value.code == "AMBIGUOUS"

"""How pleasant each emotion staff record is, on the −2…+2 scale of an observation's own
sentiment, and a stage's sentiment from the emotions recorded there. Pure.

The scores place each emotion on the valence (unpleasant → pleasant) axis of Russell's
circumplex model of affect; docs/journey_map.md gives the reasoning for each and why the
observation's own `sentiment` is not mixed in.
"""

from collections.abc import Mapping

from domain.vocabulary import Emotion

SCORES: dict[Emotion, float] = {
    Emotion.FRUSTRATION: -2.0,
    Emotion.ANXIETY: -1.5,
    Emotion.CONFUSION: -1.0,
    Emotion.SKEPTICISM: -1.0,
    Emotion.UNCERTAINTY: -0.5,
    Emotion.INDIFFERENCE: 0.0,
    Emotion.CURIOSITY: 0.5,
    Emotion.HOPE: 1.0,
    Emotion.CONFIDENCE: 1.5,
    Emotion.TRUST: 1.5,
    Emotion.LOYALTY: 2.0,
    Emotion.DELIGHT: 2.0,
}


def score(emotion: Emotion | None) -> float | None:
    return None if emotion is None else SCORES[emotion]


def sentiment(counts: Mapping[Emotion, int]) -> float | None:
    """The mean score of the emotions recorded (each observation counts once); None when
    nobody recorded one."""
    recorded = sum(counts.values())
    if not recorded:
        return None
    return sum(SCORES[emotion] * n for emotion, n in counts.items()) / recorded

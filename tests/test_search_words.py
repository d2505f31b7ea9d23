"""Search words: case and accents folded as search.js folds them, for any script."""

from __future__ import annotations

import random
import re
import unicodedata

import pytest

from site_gen.search import words


def folded_words(text: str) -> list[str]:
    """The rule itself, one character at a time: NFKD of the case fold, marks dropped."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c for c in folded if not unicodedata.combining(c))
    return re.findall(r"[^\W_]+", kept)


@pytest.mark.parametrize("text", [
    "Missile hits Kyiv TV tower, 1 March 2022",
    "snake_case and CamelCase-words 2,000",
    "Kyïv Київ Харків naïve ÉCOLE Straße",
    "ﬁnal ½ ² Ω Å e\u0301 o\u0308\u0304",
    "Ελληνικά Σίσυφος ΣΊΣΥΦΟΣ",
    "",
])
def test_words_fold_case_and_accents(text: str) -> None:
    assert words(text) == folded_words(text)


def test_words_of_random_text_match_the_rule() -> None:
    rnd = random.Random(3)
    alphabet = [chr(c) for c in range(0x20, 0x2FF)] + [chr(c) for c in range(0x300, 0x370)] \
        + [chr(c) for c in range(0x400, 0x530)] + [chr(c) for c in range(0x1E00, 0x1F00)]
    for _ in range(200):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(1, 80)))
        assert words(text) == folded_words(text), text
    assert words("Kyïv") == ["kyiv"] and words("ÉCOLE") == ["ecole"]

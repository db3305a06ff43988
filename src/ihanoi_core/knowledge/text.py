"""Vietnamese text as the switchboard matches it: folded, split into
syllables, with syllable bigrams for phrases.

``fold`` lowers the case and strips every diacritic — tones and the vowel
marks (ă, â, ê, ô, ơ, ư) — *and* maps đ/Đ to d, which Unicode does not
decompose (so SQLite FTS5's ``remove_diacritics`` leaves it, and "dang ky"
would never find "đăng ký"). Citizens type with and without diacritics, on
phones that put tones on the wrong vowel ("hoà"/"hòa"); folding makes all of
them the same text. The index and the question are folded by this one
function, in Python, for both SQLite and PostgreSQL.

A Vietnamese word is one or more syllables ("giấy phép" is one word of two),
so ``index_terms`` adds each pair of adjacent syllables as one term
("giayphep"): a phrase in the question then matches the phrase in a source,
not two syllables scattered through it.

``Lexicon`` is the directory's words (``[questions]``): synonyms that expand a
question ("gplx" → "giấy phép lái xe", "sổ đỏ" → "giấy chứng nhận quyền sử
dụng đất") and stopwords — how people ask, and place names — that carry no
meaning for deciding how sure an answer is. ``Lexicon.analyse`` turns a
question into the units the index is searched for and scored on.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ihanoi_core.directory.questions import QuestionDirectory

_WORD = re.compile(r"[0-9a-z]+")
_COMBINING = re.compile(r"[\u0300-\u036f]")


def fold(text: str) -> str:
    """``text`` lower-cased, without diacritics, đ as d ("Đăng ký" → "dang ky")."""
    text = text.replace("đ", "d").replace("Đ", "d")
    return _COMBINING.sub("", unicodedata.normalize("NFD", text.lower())).replace("đ", "d")


def syllables(text: str) -> list[str]:
    """The folded syllables (and numbers) of ``text``, in order."""
    return _WORD.findall(fold(text))


def bigrams(tokens: Sequence[str]) -> list[str]:
    """Each pair of adjacent syllables as one term ("giay", "phep" → "giayphep")."""
    return [first + second for first, second in itertools.pairwise(tokens)]


def index_terms(text: str) -> str:
    """What the index stores for ``text``: its folded syllables, then their bigrams."""
    tokens = syllables(text)
    return " ".join([*tokens, *bigrams(tokens)])


@dataclass(frozen=True, slots=True)
class Analysed:
    """A question as the switchboard reads it. ``units``: the syllables and
    bigrams that mean something (stopwords dropped, synonyms added), the set
    a source is scored on; ``search``: what the index is asked for (the units,
    or every syllable when nothing but stopwords was asked)."""

    units: frozenset[str]
    search: tuple[str, ...]
    folded: str
    # The units that are single syllables (the others are bigrams).
    syllables: frozenset[str] = frozenset()
    # The directory's qualifiers the question says, each as the term a source must hold.
    qualifiers: tuple[str, ...] = ()


def _find(tokens: Sequence[str | None], phrase: Sequence[str]) -> list[int]:
    size = len(phrase)
    return [i for i in range(len(tokens) - size + 1) if list(tokens[i : i + size]) == list(phrase)]


class Lexicon:
    """The directory's synonyms and stopwords, folded once (see module docstring)."""

    def __init__(self, questions: QuestionDirectory, place_names: Iterable[str] = ()) -> None:
        self.synonyms: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        for synonym in questions.synonyms:
            means = tuple(syllables(synonym.means))
            for said in synonym.say:
                self.synonyms.append((tuple(syllables(said)), means))
        # Longest first, so "bằng lái xe" is read before "bằng lái".
        self.synonyms.sort(key=lambda pair: -len(pair[0]))
        phrases = [tuple(syllables(word)) for word in questions.stopwords]
        phrases += [tuple(syllables(name)) for name in place_names]
        self.stop_phrases = sorted({p for p in phrases if len(p) > 1}, key=len, reverse=True)
        self.stopwords = frozenset(p[0] for p in phrases if len(p) == 1)
        self.vocabulary: frozenset[str] = frozenset()
        self.qualifiers = [tuple(syllables(word)) for word in questions.qualifiers]

    def learn(self, words: Iterable[str]) -> None:
        """Add known syllables (the catalogue's) that a typo may be corrected to."""
        self.vocabulary = self.vocabulary | frozenset(words)

    def _correct(self, token: str) -> str:
        """A syllable of four letters or more the catalogue does not know, one
        edit from exactly one it knows, read as that one ("khaii" → "khai")."""
        if len(token) < 4 or token in self.vocabulary or token.isdigit() or not self.vocabulary:
            return token
        found = {word for word in _one_edit(token) if word in self.vocabulary}
        return found.pop() if len(found) == 1 else token

    def _content(self, tokens: Sequence[str | None]) -> list[list[str]]:
        """Runs of meaningful syllables: stopword phrases, stopwords and gaps (None) split them."""
        marked: list[str | None] = list(tokens)
        for phrase in self.stop_phrases:
            for start in _find(marked, phrase):
                for i in range(start, start + len(phrase)):
                    marked[i] = None
        runs: list[list[str]] = [[]]
        for token in marked:
            if token is None or token in self.stopwords:
                if runs[-1]:
                    runs.append([])
            else:
                runs[-1].append(token)
        return [run for run in runs if run]

    def analyse(self, text: str) -> Analysed:
        tokens = [self._correct(token) for token in syllables(text)]
        # What a synonym matched is read as what it means: "gplx" itself is in no source.
        rest: list[str | None] = list(tokens)
        sequences: list[list[str | None]] = []
        for said, means in self.synonyms:
            for start in _find(tokens, said):
                if all(rest[i] is not None for i in range(start, start + len(said))):
                    rest[start : start + len(said)] = [None] * len(said)
                    sequences.append(list(means))
        sequences.insert(0, rest)
        units: set[str] = set()
        single: set[str] = set()
        for sequence in sequences:
            for run in self._content(sequence):
                single.update(run)
                units.update(run)
                units.update(bigrams(run))
        search = tuple(sorted(units)) or tuple(sorted(set(tokens)))
        qualifiers = tuple("".join(q[:2]) for q in self.qualifiers if q and _find(tokens, q))
        return Analysed(frozenset(units), search, " ".join(tokens), frozenset(single) or frozenset(tokens), qualifiers)

    def content_units(self, text: str) -> frozenset[str]:
        """The meaningful units of a source's title (no synonyms added)."""
        units: set[str] = set()
        for run in self._content(syllables(text)):
            units.update(run)
            units.update(bigrams(run))
        return frozenset(units)


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _one_edit(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    inserts = {a + c + b for a, b in splits for c in _LETTERS}
    return deletes | swaps | replaces | inserts

"""Camunda's `$like` filter, matched in linear time.

A pattern has two wildcards: `*` (any run of characters, also none) and `?` (exactly one character); a backslash
escapes the next character. Translated to a regular expression (`.*a.*a.*b`), a pattern with several `*` backtracks
polynomially – exponentially with more stars – over a long value that almost matches, and one search stops the
engine for every other client. Here the pattern is cut at its stars into segments; the first must match at the
start, the last at the end, and each one in between is found at its leftmost place after the previous one (which is
always right for segments separated by `*`). Finding a segment is `str.find` for a plain one and a bit-parallel
shift-and scan (each position of the value looked at once) for one with `?`, so a match costs time proportional to
the value's length times the number of segments, never more.
"""

from dataclasses import dataclass

MAX_PATTERN_LENGTH = 4096
"""A longer `$like` pattern is refused: no Camunda field holds a sensible pattern that long."""


@dataclass(frozen=True)
class _Segment:
    """A run of the pattern between stars: characters, None standing for `?`."""

    chars: tuple[str | None, ...]

    @property
    def plain(self) -> str | None:
        """The segment as text when it has no `?`."""
        if any(c is None for c in self.chars):
            return None
        return "".join(c for c in self.chars if c is not None)

    def matches_at(self, text: str, start: int) -> bool:
        if start < 0 or start + len(self.chars) > len(text):
            return False
        return all(c is None or text[start + i] == c for i, c in enumerate(self.chars))

    def find(self, text: str, start: int) -> int:
        """The leftmost index ≥ start where the segment matches, or -1."""
        plain = self.plain
        if plain is not None:
            return text.find(plain, start)
        return _shift_and(self.chars, text, start)


def _shift_and(chars: tuple[str | None, ...], text: str, start: int) -> int:
    """Shift-and (Baeza-Yates–Gonnet): the states of all alignments of the segment in one integer, one step per
    character of `text`; `?` matches any character."""
    length = len(chars)
    wildcard = 0
    masks: dict[str, int] = {}
    for index, char in enumerate(chars):
        bit = 1 << index
        if char is None:
            wildcard |= bit
        else:
            masks[char] = masks.get(char, 0) | bit
    done = 1 << (length - 1)
    state = 0
    for position in range(start, len(text)):
        state = ((state << 1) | 1) & (masks.get(text[position], 0) | wildcard)
        if state & done:
            return position - length + 1
    return -1


class LikePattern:
    """A compiled `$like` pattern; `matches(text)` says whether the whole text matches it."""

    def __init__(self, pattern: str) -> None:
        if len(pattern) > MAX_PATTERN_LENGTH:
            raise ValueError(f"a $like pattern is at most {MAX_PATTERN_LENGTH} characters long")
        segments: list[list[str | None]] = [[]]
        chars = iter(pattern)
        for char in chars:
            if char == "\\":
                segments[-1].append(next(chars, "\\"))
            elif char == "*":
                segments.append([])
            elif char == "?":
                segments[-1].append(None)
            else:
                segments[-1].append(char)
        self._segments = [_Segment(tuple(s)) for s in segments]

    def matches(self, text: str) -> bool:
        segments = self._segments
        first = segments[0]
        if len(segments) == 1:  # no star: the whole text is the one segment
            return len(text) == len(first.chars) and first.matches_at(text, 0)
        last = segments[-1]
        if len(first.chars) + len(last.chars) > len(text) or not first.matches_at(text, 0):
            return False
        position = len(first.chars)
        end = len(text) - len(last.chars)
        if not last.matches_at(text, end):
            return False
        for segment in segments[1:-1]:
            if not segment.chars:
                continue
            found = segment.find(text, position)
            if found < 0 or found + len(segment.chars) > end:
                return False
            position = found + len(segment.chars)
        return True

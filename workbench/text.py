"""Participants' text at the door: one set of rules for every field, wherever it is typed.

- Unicode NFC, so that « é » typed two ways is one pseudonym;
- one-line fields (pseudonym, group, session title) refuse control characters and the
  bidirectional controls that let « ‮nimda‬ » display as « admin »; zero-width
  characters are removed, and a value with nothing visible left is empty;
- the long text keeps its line breaks and tabs (as spaces) but loses every other control
  character and every bidirectional control, silently: a pasted text should not be refused
  for a stray form feed;
- ``escape`` is the one HTML escape of the apps and the report: it also drops any raw
  control character, so that a page or a report never carries one, even from old data.
"""

from __future__ import annotations

import html
import re
import unicodedata

# the lengths the store enforces, checked where they are typed too
MAX_TITLE = 120
MAX_PSEUDONYM = 40
MAX_GROUP = 40
MAX_TEXT = 2000

# explicit directional embeddings, overrides and isolates, and the implicit marks
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                          "\u200e\u200f\u061c")
# invisible characters that carry nothing in a name (ZWJ and ZWNJ are kept: emoji
# sequences and some scripts need them, but they alone do not make a value visible)
ZERO_WIDTH = frozenset("\u200b\u2060\ufeff\u00ad\u180e")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# what no page or report may carry: raw controls and bidirectional controls, in one pass
# (escape runs on every label of every lever move)
_NOT_SHOWN_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + "".join(sorted(BIDI_CONTROLS))
                           + "]")


class TextRefused(ValueError):
    """A value refused at the door; ``message_fr`` says why, for the participant."""

    def __init__(self, message: str, message_fr: str):
        super().__init__(message)
        self.message_fr = message_fr


def _visible(value: str) -> bool:
    return any(not c.isspace() and unicodedata.category(c) not in ("Cf", "Mn", "Cc")
               for c in value)


def clean_line(value: object, label_fr: str, max_len: int, min_len: int = 1) -> str:
    """A one-line field, normalised; raises TextRefused with a French message."""
    if not isinstance(value, str):
        raise TextRefused(f"expected text, got {type(value).__name__}",
                          f"{label_fr} doit être du texte.")
    value = unicodedata.normalize("NFC", value).strip()
    typed = bool(value)
    value = "".join(c for c in value if c not in ZERO_WIDTH).strip()
    bad = sorted({c for c in value
                  if c in BIDI_CONTROLS or unicodedata.category(c) in ("Cc", "Cs")})
    if bad:
        raise TextRefused(f"control characters {[f'U+{ord(c):04X}' for c in bad]}",
                          f"{label_fr} contient des caractères invisibles ou de contrôle : "
                          "retapez-le sans copier-coller.")
    if typed and not _visible(value):  # only invisible characters: not an empty field
        raise TextRefused("nothing visible", f"{label_fr} ne contient aucun caractère "
                          "visible : retapez-le.")
    if len(value) < min_len:
        raise TextRefused("empty", f"{label_fr} est vide : merci de le remplir.")
    if len(value) > max_len:
        raise TextRefused(f"{len(value)} characters long (at most {max_len})",
                          f"{label_fr} dépasse {max_len} caractères ({len(value)} saisis).")
    return value


def clean_text(value: str) -> str:
    """The long text: NFC, line breaks kept (CR LF and CR become LF), tabs as spaces, every
    other control character and bidirectional control removed, zero-width characters too;
    empty when nothing visible is left. Lone surrogates are left for the caller to refuse."""
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    value = value.replace("\t", " ")
    value = _CONTROL_RE.sub("", value)
    value = "".join(c for c in value if c not in BIDI_CONTROLS and c not in ZERO_WIDTH)
    value = value.strip()
    return value if _visible(value) else ""


def escape(text: object) -> str:
    """HTML-escaped text (quotes included) without any raw control character or
    bidirectional control."""
    return html.escape(_NOT_SHOWN_RE.sub("", str(text)), quote=True)


_UNPRINTABLE_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def printable(text: object) -> str:
    """For a terminal or a log line: every control, bidirectional or invisible character
    written as its escape (``\\x1b``, ``\\u202e``), so that nothing typed by someone else
    can move the cursor, ring the bell or reorder the line."""
    return _UNPRINTABLE_RE.sub(
        lambda m: (f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                   else f"\\u{ord(m.group()):04x}"), str(text))

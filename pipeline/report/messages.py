"""The one message catalogue (pipeline/data/messages/<lang>.toml); Swedish is the default."""
from __future__ import annotations

import tomllib
from functools import lru_cache

from ..errors import UsageError
from ..paths import DATA_DIR
from .config import message_params, rules_now

MESSAGES_DIR = DATA_DIR / "messages"
LANGUAGES = ("sv", "en")
DEFAULT_LANG = "sv"


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    if lang not in LANGUAGES:
        raise UsageError(f"--lang {lang!r}: choose one of {', '.join(LANGUAGES)}")
    return tomllib.loads((MESSAGES_DIR / f"{lang}.toml").read_text(encoding="utf-8"))


class _Keep(dict):
    def __missing__(self, key):  # a placeholder with no value stays as written
        return "{" + key + "}"


class Messages:
    """Messages of one language. Criterion names come from the rules file in force (its
    name_sv / name_en); placeholders named after a rules/report parameter (config.message_params:
    days, ages, months) are filled from it, so that a label follows the parameter instead of
    restating it."""

    def __init__(self, lang: str = DEFAULT_LANG) -> None:
        rules = rules_now()
        self.lang = lang
        self.text = {**catalogue(lang), **rules.messages(lang)}
        self.params = message_params(rules)

    def _fill(self, s: str, values: dict) -> str:
        return s.format_map(_Keep({**self.params, **values})) if "{" in s else s

    def __call__(self, key: str, **values) -> str:
        try:
            s = self.text[key]
        except KeyError:
            raise KeyError(f"message {key!r} missing from {self.lang}.toml") from None
        return self._fill(s, values)

    def get(self, key: str, default: str) -> str:
        """A label that may be data-driven (criterion ids etc.): fall back to the id."""
        return self._fill(self.text[key], {}) if key in self.text else default

    # numbers in the language's convention
    def number(self, v, decimals: int = 0) -> str:
        s = f"{v:,.{decimals}f}"
        if self.lang == "sv":
            s = s.replace(",", "\u00a0").replace(".", ",")
        return s

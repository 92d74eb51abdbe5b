"""Messages in the user's language: the gettext catalogs and how a language is chosen.

Every text a user reads (the gate's messages, the agent's and the in-kernel sensor's explanations, the spawn
refusal, the user page and the policy page) is an English ``msgid`` looked up in the ``nbwarden`` catalog of
``nbwarden/locale/<lang>/LC_MESSAGES/nbwarden.po``.  The ``.po`` files are the only copy: they are compiled in
memory when first used (Babel), so no binary ``.mo`` can go stale.  Without Babel, or for a language we do not
ship, the English text is used.

The language of a user, strongest first: the JupyterLab language setting (where the code can read the user's
settings: the gate, the sensor), the browser's ``Accept-Language``, then the server's default
(``NBWARDEN_LANGUAGE``, else English).  Update the catalogs with ``make catalogs``.
"""

from __future__ import annotations

import functools
import gettext as _gettext
import io
import json
import os
import re
from pathlib import Path
from typing import Any

DOMAIN = "nbwarden"
LOCALE_DIR = Path(__file__).with_name("locale")
DEFAULT = "en"
LANGUAGES = ("en", "de", "zh_CN")  # what we ship; the first is the source language
LABELS = {"en": "English", "de": "Deutsch", "zh_CN": "简体中文"}
# where the gate tells kernels which language it chose (the sensor reads it when it explains a veto or a kill)
LANGUAGE_FILE_ENV = "NBWARDEN_LANGUAGE_FILE"
JUPYTERLAB_SETTING = Path("@jupyterlab", "translation-extension", "plugin.jupyterlab-settings")


def N_(message: str) -> str:
    """Marks a module-level text for the catalog; it is translated where it is used."""
    return message


def supported(tag: str | None) -> str | None:
    """The shipped language for a tag (``de-DE``, ``de_AT``, ``zh-Hans-CN``, ``zh``, ``en-GB``), or None."""
    if not tag or not isinstance(tag, str):
        return None
    parts = [p for p in re.split(r"[-_]", tag.strip().lower()) if p]
    if not parts:
        return None
    lang = parts[0]
    if lang == "zh":
        # Simplified Chinese unless the tag says Traditional (Hant, TW, HK, MO): those we do not ship
        if any(p in ("hant", "tw", "hk", "mo") for p in parts[1:]):
            return None
        return "zh_CN"
    return lang if lang in LANGUAGES else None


def parse_accept_language(header: str | None) -> list[str]:
    """The tags of an ``Accept-Language`` header, most wanted first (q=0 dropped, bad parts ignored)."""
    if not header or not isinstance(header, str):
        return []
    ranked = []
    for i, part in enumerate(header[:2000].split(",")):
        fields = [f.strip() for f in part.split(";")]
        tag = fields[0]
        if not tag or tag == "*" or not re.fullmatch(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*", tag):
            continue
        q = 1.0
        for f in fields[1:]:
            if f.lower().startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, i, tag))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(*candidates: str | list[str] | None, default: str | None = None) -> str:
    """The first shipped language among ``candidates`` (single tags or ranked lists), else the default."""
    for candidate in candidates:
        for tag in ([candidate] if isinstance(candidate, str) or candidate is None else candidate):
            found = supported(tag)
            if found:
                return found
    return supported(default) or server_default()


def request_languages(handler: Any) -> list[str] | None:
    """The ranked ``Accept-Language`` of a tornado handler's request; None when there is no request to ask."""
    try:
        header = handler.request.headers.get("Accept-Language") if handler is not None else None
    except AttributeError:
        return None
    return parse_accept_language(header) if header is not None else None


def server_default() -> str:
    return supported(os.environ.get("NBWARDEN_LANGUAGE")) or DEFAULT


def jupyterlab_settings_dir() -> Path:
    """Where JupyterLab keeps this user's settings (``$JUPYTERLAB_SETTINGS_DIR``, as jupyterlab_server does)."""
    env = os.environ.get("JUPYTERLAB_SETTINGS_DIR")
    if env:
        return Path(env)
    from jupyter_core.paths import jupyter_config_dir

    return Path(jupyter_config_dir(), "lab", "user-settings")


def jupyterlab_locale(settings_dir: str | Path | None = None) -> str | None:
    """The language chosen in JupyterLab (Settings > Language), or None for its default (follow the browser).

    The settings file is JSON with comments; a missing, unreadable or odd file means no choice.
    """
    path = Path(settings_dir) if settings_dir else jupyterlab_settings_dir()
    path = path / JUPYTERLAB_SETTING
    try:
        stat = path.stat()
    except OSError:
        return None
    return _read_locale(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _read_locale(path: str, _mtime: int, size: int) -> str | None:
    if size > 1_000_000:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        data = json.loads(_strip_json_comments(text))
    except (OSError, ValueError):
        return None
    value = data.get("locale") if isinstance(data, dict) else None
    return supported(value) if isinstance(value, str) and value != "default" else None


def _strip_json_comments(text: str) -> str:
    """JSON with ``//`` and ``/* */`` comments (JupyterLab's settings files) as plain JSON."""
    out, i, n = [], 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        else:
            out.append(ch)
            i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))  # trailing commas


# ---------------------------------------------------------------------------- catalogs

@functools.cache
def translations(lang: str | None) -> _gettext.NullTranslations:
    """The catalog of ``lang`` (English: none, the msgids are the text)."""
    lang = supported(lang) or DEFAULT
    if lang == DEFAULT:
        return _gettext.NullTranslations()
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    try:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        with path.open("rb") as f:
            catalog = read_po(f, locale=lang, domain=DOMAIN)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        buffer.seek(0)
        return _gettext.GNUTranslations(buffer)
    except (ImportError, OSError, ValueError):
        return _gettext.NullTranslations()


class Translator:
    """``_`` and ``ngettext`` of one language, and ``fmt`` for texts with ``{name}`` fields."""

    def __init__(self, lang: str | None = None):
        self.lang = supported(lang) or server_default()
        self._t = translations(self.lang)

    def gettext(self, message: str) -> str:
        return self._t.gettext(message)

    _ = gettext

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def fmt(self, message: str, **fields: Any) -> str:
        """The translation of ``message`` with its ``{name}`` fields filled in (the English text when a
        translation's fields are broken, so a bad catalog never breaks a message)."""
        try:
            return self._t.gettext(message).format(**fields)
        except (KeyError, IndexError, ValueError):
            return message.format(**fields)

    def html_lang(self) -> str:
        return self.lang.replace("_", "-")


# ---------------------------------------------------------------------------- the kernels' language

def language_file() -> Path | None:
    value = os.environ.get(LANGUAGE_FILE_ENV)
    return Path(value) if value else None


_remembered: dict[str, str] = {}


def remember_language(lang: str, path: Path | None = None) -> None:
    """Tell this user's kernels which language the gate chose (best effort: a kernel falls back to the default)."""
    path = path or language_file()
    if path is None or _remembered.get(str(path)) == lang:
        return
    try:
        _remembered[str(path)] = lang
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(lang, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def user_language() -> str:
    """The language of what the user's server and kernels print by themselves (the sensor's explanations, the
    hub's notices): JupyterLab's setting, then the language the gate last chose, then the default."""
    lab = jupyterlab_locale()
    if lab:
        return lab
    path = language_file()
    if path is not None:
        try:
            return negotiate(path.read_text(encoding="utf-8")[:64].strip())
        except OSError:
            pass
    return server_default()

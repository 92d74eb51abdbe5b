"""The message catalogs: up to date with the code, complete, and every translation keeps its fields and tags."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from nbwarden import i18n

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT]
FIELDS = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)s|%%")
TAGS = re.compile(r"</?[a-z]+[^>]*>")


def catalog(lang: str):
    with (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "nbwarden.po").open("rb") as f:
        return read_po(f, locale=lang)


def test_the_template_matches_the_code():
    pybabel = Path(sys.executable).with_name("pybabel")
    done = subprocess.run(["bash", str(ROOT / "scripts" / "catalogs"), "check"], cwd=ROOT, capture_output=True,
                          text=True, env={"PYBABEL": str(pybabel), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_text_is_translated_with_its_fields_and_tags(lang):
    with (i18n.LOCALE_DIR / "nbwarden.pot").open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    messages = {m.id: m for m in catalog(lang) if m.id}
    assert set(messages) == wanted, "run scripts/catalogs"
    problems = []
    for key, m in messages.items():
        ids = key if isinstance(key, tuple) else (key,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        # a plural's forms follow the plural msgid (a language with one form, like Chinese, has only that)
        for i, string in enumerate(strings):
            msgid = ids[min(i if len(strings) > 1 else len(ids) - 1, len(ids) - 1)]
            if not string or m.fuzzy:
                problems.append(f"untranslated: {msgid[:60]!r}")
            elif sorted(FIELDS.findall(msgid)) != sorted(FIELDS.findall(string)):
                problems.append(f"fields differ: {msgid[:60]!r}")
            elif sorted(TAGS.findall(msgid)) != sorted(TAGS.findall(string)):
                problems.append(f"tags differ: {msgid[:60]!r}")
            elif string == msgid and len(msgid) > 12 and " " in msgid:
                problems.append(f"left in English: {msgid[:60]!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", SHIPPED)
def test_the_catalog_compiles_and_translates(lang):
    t = i18n.Translator(lang)
    assert t._("Acceptable use policy") != "Acceptable use policy"
    assert "{" not in t.fmt("Reference {ref}.", ref="abc") and "abc" in t.fmt("Reference {ref}.", ref="abc")


def test_english_and_unknown_languages_read_the_msgids():
    assert i18n.Translator("en")._("Acceptable use policy") == "Acceptable use policy"
    assert i18n.Translator("fr")._("Acceptable use policy") in ("Acceptable use policy",
                                                                 i18n.Translator(i18n.server_default())._(
                                                                     "Acceptable use policy"))

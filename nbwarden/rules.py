"""Rule packs: loading, validation and merging.

A pack is a YAML file with a version, a changelog and a list of rules.  The
built-in packs live in ``nbwarden/packs``; operators add private pack
directories on top, which may add rules, replace a rule by reusing its id,
change a rule's severity (``overrides``) or turn rules off (``disable``).
Every file is validated against ``pack.schema.yaml`` on load, and errors name
the file and the rule.  A pack text that passed once is remembered by its hash
(:func:`_checked_before`), so a process that starts again (a CLI call, a gate
or an agent) skips importing jsonschema and checking the same text.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

try:  # the engine's regex engine; packs are checked against it when it is installed
    import re2  # type: ignore
except ImportError:  # pragma: no cover
    re2 = None

# libyaml's parser where PyYAML has it: the same documents in a tenth of the time, and every process start reads
# all the packs
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
BUILTIN_DIR = Path(__file__).with_name("packs")
SCHEMA_PATH = Path(__file__).with_name("pack.schema.yaml")
SEVERITIES = ("audit", "warn", "block")
SEVERITY_RANK = {"none": -1, "audit": 0, "warn": 1, "block": 2}
# Colab's prohibited activities, then code that hides what it runs (which nobody can check, whatever it does)
CATEGORIES = ("deepfake", "crypto_mining", "torrent_p2p", "remote_desktop_ssh", "proxy_tunnel",
              "web_file_hosting", "dos_attack", "password_cracking", "obscured_code")


# keys of a pattern that qualify its one kind: ``word`` (a literal on word boundaries or not) and ``describes``
# (text in which the program describes itself, a banner or a comment: it counts in messages and comments too)
MODIFIERS = ("word", "describes")


def pattern_kind(pattern: dict[str, Any]) -> str:
    """The one kind of a pattern (``literal``, ``regex``, ``command``...), whatever modifies it."""
    return next(k for k in pattern if k not in MODIFIERS)


class PackError(ValueError):
    """A rule pack that cannot be loaded; the message names the file and rule."""


@dataclass(slots=True)
class Rule:
    id: str
    category: str
    severity: str
    description: str
    references: list[str]
    groups: list[list[dict[str, Any]]]  # every group must match; any pattern within a group
    examples: dict[str, list[Any]]
    pack: str
    source: str  # file it came from
    confidence: float | None = None
    enabled: bool = True
    private: bool = False
    tags: list[str] = field(default_factory=list)
    # patterns that, found anywhere in the same cell or notebook (not in a comment), stop the rule: a tunnel
    # to one's own TensorBoard is not a proxy
    unless: list[dict[str, Any]] = field(default_factory=list)
    # evidence that supports a finding of another category (a tunnel exposes whatever it exposes): it never
    # names the verdict's category while a finding of its own kind acts
    supporting: bool = False
    # the description in other languages ({"de": ...}), for the policy page
    description_i18n: dict[str, str] = field(default_factory=dict)

    def describe(self, lang: str | None = None) -> str:
        return self.description_i18n.get(lang or "", self.description)

    def to_dict(self, *, patterns: bool = True) -> dict[str, Any]:
        data = {
            "id": self.id, "category": self.category, "severity": self.severity,
            "description": self.description, "references": self.references, "pack": self.pack,
            "enabled": self.enabled,
        }
        if patterns and not self.private:
            data["patterns"] = self.groups[0] if len(self.groups) == 1 else None
            if len(self.groups) > 1:
                data["all"] = self.groups
            if self.unless:
                data["unless"] = self.unless
            data["examples"] = self.examples
        if self.supporting:
            data["supporting"] = True
        return data


@dataclass(slots=True)
class Pack:
    name: str
    version: str
    path: str
    description: str = ""
    private: bool = False
    changelog: list[dict[str, Any]] = field(default_factory=list)
    description_i18n: dict[str, str] = field(default_factory=dict)

    def describe(self, lang: str | None = None) -> str:
        return self.description_i18n.get(lang or "", self.description)


@dataclass(slots=True)
class RuleSet:
    """All rules after merging packs, keyed by id (disabled rules included)."""

    rules: dict[str, Rule]
    packs: list[Pack]

    def enabled(self) -> list[Rule]:
        return [rule for rule in self.rules.values() if rule.enabled]

    def fingerprint(self) -> str:
        """Identifies this exact rule set, so a decision can be reproduced later."""
        return "+".join(f"{p.name}@{p.version}" for p in self.packs)


@lru_cache(maxsize=1)
def _validator():
    import jsonschema  # slow to import: only packs need it, not every nbwarden command

    schema = read_yaml(SCHEMA_PATH.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _describe(error, data: dict[str, Any]) -> str:
    path = list(error.absolute_path)
    where = ""
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        rules = data.get("rules") or []
        rid = rules[path[1]].get("id", "?") if path[1] < len(rules) and isinstance(rules[path[1]], dict) else "?"
        where = f"rule {rid!r} (rules[{path[1]}])"
        path = path[2:]
    location = ".".join(str(p) for p in path)
    import jsonschema

    best = jsonschema.exceptions.best_match([error]) if error.context else error
    message = best.message
    if error.validator == "oneOf" and error.context:
        message = "; ".join(sorted({e.message for e in error.context}))[:400]
    return f"{where} {location}: {message}".strip()


def read_yaml(text: str) -> Any:
    """A YAML document as ``yaml.safe_load`` reads it, with libyaml's parser when there is one."""
    return yaml.load(text, Loader=_YAML_LOADER)


@lru_cache(maxsize=1)
def _checker_digest() -> bytes:
    """The schema and this module's checks: a pack text checked by other ones is checked again."""
    return hashlib.sha256(SCHEMA_PATH.read_bytes() + b"\0" + Path(__file__).read_bytes()).digest()


def _check_key(text: str) -> str:
    """What a pack's check depends on: its text and the checker (:func:`_checker_digest`)."""
    return hashlib.sha256(_checker_digest() + text.encode("utf-8", "surrogatepass")).hexdigest()


def _checks_dir() -> Path:
    """Where the hashes of pack texts that passed are kept (``NBWARDEN_CACHE_DIR``, else the XDG cache)."""
    base = os.environ.get("NBWARDEN_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "nbwarden")
    return Path(base) / "checked-packs"


def _checked_before(key: str) -> bool:
    try:
        return (_checks_dir() / key).is_file()
    except OSError:
        return False


def _remember_checked(key: str) -> None:
    try:  # an unwritable cache only means checking again next time
        directory = _checks_dir()
        directory.mkdir(parents=True, exist_ok=True)
        (directory / key).touch()
    except OSError:
        pass


def load_file(path: Path) -> dict[str, Any]:
    """Read and validate one pack file."""
    try:
        text = path.read_text(encoding="utf-8")
        data = read_yaml(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise PackError(f"{path}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise PackError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PackError(f"{path}: a pack must be a mapping with 'pack', 'version' and 'rules'")
    for entry in data.get("changelog") or []:
        if isinstance(entry, dict) and hasattr(entry.get("date"), "isoformat"):
            entry["date"] = entry["date"].isoformat()  # YAML reads bare dates as dates
    key = _check_key(text)
    if not _checked_before(key):
        _check(path, data)
        _remember_checked(key)
    return data


def _check(path: Path, data: dict[str, Any]) -> None:
    """The schema, then what it cannot say: regexes RE2 compiles, modifiers only where they apply, one kind per
    pattern.  Raises :class:`PackError` naming the file and the rule."""
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        listed = "\n  ".join(_describe(e, data) for e in errors[:10])
        raise PackError(f"{path}: {len(errors)} schema error(s):\n  {listed}")
    for rule in data.get("rules", []):
        for group in [*_groups(rule), rule.get("unless", [])]:
            for pattern in group:
                if "regex" in pattern:
                    try:
                        re.compile(pattern["regex"])
                        if re2 is not None:  # the engine matches with RE2, which has no lookaround or backreferences
                            re2.compile(pattern["regex"])
                    except (re.error, getattr(re2, "error", re.error)) as exc:
                        raise PackError(f"{path}: rule {rule['id']!r}: bad regex {pattern['regex']!r} (RE2 syntax: no "
                                        f"lookaround or backreferences): {exc}") from exc
                if "word" in pattern and "literal" not in pattern:
                    raise PackError(f"{path}: rule {rule['id']!r}: 'word' only applies to 'literal' patterns")
                if "describes" in pattern and not ("literal" in pattern or "regex" in pattern):
                    raise PackError(f"{path}: rule {rule['id']!r}: 'describes' only applies to 'literal' and "
                                    "'regex' patterns")
                if sum(k not in MODIFIERS for k in pattern) != 1:
                    raise PackError(f"{path}: rule {rule['id']!r}: a pattern has one kind, got {sorted(pattern)}")


def _groups(rule: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return [rule["patterns"]] if "patterns" in rule else rule["all"]


def pack_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.y*ml") if p.suffix in {".yaml", ".yml"})


def load(extra_dirs: list[str | Path] | tuple = (), *, builtin: bool = True,
         disable: list[str] | tuple = ()) -> RuleSet:
    """Load the built-in packs, then each extra directory in order.

    Later packs win: a rule with an id that already exists replaces it,
    ``overrides`` patch fields, and ``disable`` (from a pack or the argument)
    turns rules off by id or glob.
    """
    dirs: list[Path] = ([BUILTIN_DIR] if builtin else []) + [Path(d) for d in extra_dirs]
    rules: dict[str, Rule] = {}
    packs: list[Pack] = []
    disabled: list[str] = list(disable)
    for directory in dirs:
        if not directory.is_dir():
            raise PackError(f"{directory}: rule pack directory not found")
        for path in pack_files(directory):
            data = load_file(path)
            private = bool(data.get("private", False)) or directory != BUILTIN_DIR and data.get("private", True)
            packs.append(Pack(data["pack"], data["version"], str(path), data.get("description", ""),
                              private, data.get("changelog", []), dict(data.get("description_i18n") or {})))
            seen: set[str] = set()
            for raw in data.get("rules", []):
                if raw["id"] in seen:
                    raise PackError(f"{path}: rule id {raw['id']!r} appears twice")
                seen.add(raw["id"])
                category = raw.get("category") or data.get("category")
                if not category:
                    raise PackError(f"{path}: rule {raw['id']!r} has no category and the pack sets none")
                rules[raw["id"]] = Rule(
                    id=raw["id"], category=category, severity=raw["severity"],
                    description=raw["description"].strip(), references=list(raw["references"]),
                    groups=_groups(raw), examples=raw["examples"], pack=data["pack"], source=str(path),
                    confidence=raw.get("confidence"), enabled=raw.get("enabled", True),
                    private=private, tags=list(raw.get("tags", [])), unless=list(raw.get("unless", [])),
                    supporting=bool(raw.get("supporting", False)),
                    description_i18n=dict(raw.get("description_i18n") or {}),
                )
            for change in data.get("overrides", []):
                rule = rules.get(change["id"])
                if rule is None:
                    raise PackError(f"{path}: override of unknown rule {change['id']!r}")
                for key in ("severity", "enabled", "confidence"):
                    if key in change:
                        setattr(rule, key, change[key])
            disabled.extend(data.get("disable", []))
    for pattern in disabled:
        matched = [rid for rid in rules if fnmatch.fnmatchcase(rid, pattern)]
        if not matched:
            raise PackError(f"disable: no rule matches {pattern!r}")
        for rid in matched:
            rules[rid].enabled = False
    return RuleSet(rules, packs)

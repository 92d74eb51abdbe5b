"""A rule against its own inline examples (``nbwarden rules test``)."""

from __future__ import annotations

from typing import Any

from ..analysis import INERT, clip
from ..rules import Rule
from .core import Engine
from .verdict import Verdict


def example_verdict(engine: Engine, example: Any) -> Verdict:
    """Run one inline rule example: a cell string or a {code|argv, kind} mapping."""
    if isinstance(example, str):
        return engine.check_code(example, "cell")
    if "argv" in example:
        return engine.check_command(example["argv"])
    if "file" in example:
        return engine.check_file(example["file"].encode("utf-8"))
    return engine.check_code(example.get("code", ""), example.get("kind", "cell"))


def check_examples(engine: Engine, rule: Rule) -> list[str]:
    """Check a rule against its own examples; returns what went wrong.

    ``match`` examples must produce this rule's finding at its full
    severity; ``no_match`` examples must not produce it outside an inert
    context (a comment or printed mention may still be audited).
    """
    failures: list[str] = []
    for example in rule.examples.get("match", []):
        hits = [f for f in example_verdict(engine, example).findings if f.rule == rule.id]
        if not any(f.severity == rule.severity and f.context != INERT for f in hits):
            seen = ", ".join(f"{f.severity}/{f.context}" for f in hits) or "no finding"
            failures.append(f"{rule.id}: should match ({seen}): {clip(str(example), 120)}")
    for example in rule.examples.get("no_match", []):
        hits = [f for f in example_verdict(engine, example).findings if f.rule == rule.id and f.context != INERT]
        if hits:
            failures.append(f"{rule.id}: should not match (line {hits[0].line}, {hits[0].context}): "
                            f"{clip(str(example), 120)}")
    return failures

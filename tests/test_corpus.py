"""The hand-written labelled corpus: every prohibited file is caught with the
right category, and every benign look-alike is allowed."""

from pathlib import Path

import pytest

from nbwarden.engine import Engine
from nbwarden.rules import CATEGORIES
from nbwarden.scan import check_file

CORPUS = Path(__file__).parent / "corpus"
BAD = sorted(p for p in (CORPUS / "bad").glob("*/*") if p.is_file())
BENIGN = sorted(p for p in (CORPUS / "benign").glob("*/*") if p.is_file())
ENGINE = Engine()


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def test_corpus_is_large_enough_and_covers_every_category():
    assert len(BAD) >= 60 and len(BENIGN) >= 60
    assert {p.parent.name for p in BAD} >= set(CATEGORIES)
    assert {p.parent.name for p in BENIGN} >= set(CATEGORIES)


@pytest.mark.parametrize("path", BAD, ids=_id)
def test_prohibited_file_is_flagged_with_its_category(path):
    result = check_file(path, ENGINE)
    assert result.verdict is not None, result.error
    assert result.verdict["action"] in {"warn", "block"}, result.verdict
    assert result.verdict["category"] == path.parent.name, result.verdict


@pytest.mark.parametrize("path", BENIGN, ids=_id)
def test_benign_look_alike_is_allowed(path):
    result = check_file(path, ENGINE)
    assert result.verdict is not None, result.error
    assert result.verdict["action"] == "allow", result.verdict["findings"]

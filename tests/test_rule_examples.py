"""Every rule's inline examples, run as tests (one test per rule)."""

import pytest

from nbwarden.engine import Engine, check_examples

ENGINE = Engine()


@pytest.mark.parametrize("rule", ENGINE.rules, ids=lambda r: r.id)
def test_rule_examples(rule):
    assert check_examples(ENGINE, rule) == []

"""Multi-account cases: the real gate (engine + ledger) decides the cells, logins go through the store
the ``post_auth_hook`` writes to, and :mod:`nbwarden.hub.linking` reads it all back."""

from __future__ import annotations

import time

import pytest

from nbwarden.gate import NbwardenGate
from nbwarden.hub.linking import LinkConfig, find_links, update_cases
from nbwarden.hub.models import HubStore
from nbwarden.ledger import Ledger

MINER_CELL = "!./xmrig -o stratum+tcp://pool.example:3333 -u 4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx"
TUTORIAL = [
    "import numpy as np\nimport matplotlib.pyplot as plt",
    "x = np.linspace(0, 10, 200)\ny = np.sin(x)",
    "plt.plot(x, y)\nplt.title('A sine wave')\nplt.show()",
    "from sklearn.datasets import load_iris\niris = load_iris()",
    "from sklearn.linear_model import LogisticRegression\nmodel = LogisticRegression(max_iter=200).fit(iris.data, iris.target)",
]
OWN_WORK = ["data = [i ** 2 for i in range(1000)]\nprint(sum(data))  # mallory's scratch 7f3a"]
CAMPUS_IP = "198.51.100.7"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


@pytest.fixture(scope="module")
def world(module_ledger_url):
    ledger = Ledger(module_ledger_url)
    gate = NbwardenGate(ledger=ledger, record_allowed=True)
    yield gate, HubStore(ledger)
    gate.close()


def _run(gate: NbwardenGate, user: str, cells: list[str], at: float) -> None:
    for i, code in enumerate(cells):
        gate.check_cell(code, kernel_id=f"k-{user}", notebook="nb.ipynb", user=user, group="free", now=at + i)


def test_accounts_sharing_signals_become_a_case(world):
    gate, store = world
    t0 = time.time() - 3600
    store.add_login("mallory", CAMPUS_IP, BROWSER, now=t0)
    _run(gate, "mallory", OWN_WORK, t0 + 60)
    result = gate.check_cell(MINER_CELL, kernel_id="k-mallory", user="mallory", group="free", now=t0 + 120)
    assert not result.run and result.action == "block"
    gate.ledger.restrict("mallory", "suspend", hours=24, reason="mining", by="admin", now=t0 + 180)
    # ten minutes later a new account, same address and browser, picks up the same work
    store.add_login("mallory2", CAMPUS_IP, BROWSER, now=t0 + 780)
    _run(gate, "mallory2", OWN_WORK, t0 + 800)
    result = gate.check_cell(MINER_CELL, kernel_id="k-mallory2", user="mallory2", group="free", now=t0 + 840)
    assert result.action == "block"

    links = [link for link in find_links(store) if set(link["users"]) == {"mallory", "mallory2"}]
    assert len(links) == 1
    kinds = {s["kind"] for s in links[0]["signals"]}
    assert {"ip_ua", "artefact", "handoff"} <= kinds
    created = update_cases(store)
    case = next(c for c in store.cases() if set(c["users"]) == {"mallory", "mallory2"})
    assert case["id"] in created and case["state"] == "open"
    assert any(s["kind"] == "handoff" and s["evidence"][0]["after"].startswith("restriction")
               for s in case["signals"])
    # a case is only a case: nobody was restricted for it
    assert gate.ledger.status("mallory2") is None
    # judged once, the same evidence does not reopen it
    store.decide_case(case["id"], "confirmed", by="admin", note="same person")
    assert update_cases(store) == []


def test_strangers_running_the_same_tutorial_are_not_linked(world):
    gate, store = world
    t0 = time.time() - 1800
    # the worst case for false links: same campus NAT address, same browser build, same popular notebook
    for offset, user in enumerate(("student1", "student2")):
        store.add_login(user, CAMPUS_IP, BROWSER, now=t0 + offset * 300)
        _run(gate, user, TUTORIAL, t0 + offset * 300 + 30)
    pairs = [set(link["users"]) for link in find_links(store)]
    assert {"student1", "student2"} not in pairs
    assert not [c for c in store.cases() if set(c["users"]) == {"student1", "student2"}]
    # the signals were seen, just not enough of them
    weak = find_links(store, LinkConfig(threshold=1.0, min_kinds=1))
    assert any(set(link["users"]) == {"student1", "student2"} for link in weak)

"""Shared fixtures: the ledger on both backends.

``ledger_url`` is parametrised: each test that takes it runs once on a SQLite
file and once on a fresh database in a throwaway PostgreSQL cluster (one
cluster per test run, started on first use; :mod:`pg_support`).  The
PostgreSQL runs skip, with the reason, only where no PostgreSQL server can be
run at all.  ``@pytest.mark.backends("sqlite")`` keeps a test that takes a
parametrised ledger to the backends it names (a slow end-to-end test whose
database work another test covers on both).
"""

from __future__ import annotations

import os

# a behaviour family that trips on the suite's code is a bug to see, not an odd tree to forgive (nbwarden.behaviour);
# set before nbwarden is imported, and inherited by the processes the tests start
os.environ.setdefault("NBWARDEN_STRICT_SHAPES", "1")

import pytest  # noqa: E402
from pg_support import Cluster, unavailable  # noqa: E402

BACKENDS = ["sqlite", "postgresql"]


def pytest_configure(config):
    config.addinivalue_line("markers", "backends(*names): run only on these ledger backends")


def pytest_collection_modifyitems(config, items):
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("backends")
        params = getattr(getattr(item, "callspec", None), "params", {})
        backend = params.get("ledger_url") or params.get("module_ledger_url")
        (drop if marker and backend and backend not in marker.args else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def pg_cluster():
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    cluster = Cluster().start()
    yield cluster
    cluster.stop()


def _url(request, directory) -> str:
    """A fresh empty ledger database on the requested backend, for as long as the requesting fixture lives."""
    if request.param == "sqlite":
        return f"sqlite:///{directory / 'ledger.sqlite'}"
    cluster = request.getfixturevalue("pg_cluster")
    url = cluster.database()
    request.addfinalizer(lambda: cluster.drop(url))
    return url


@pytest.fixture(params=BACKENDS)
def ledger_url(request, tmp_path) -> str:
    return _url(request, tmp_path)


@pytest.fixture(scope="module", params=BACKENDS)
def module_ledger_url(request, tmp_path_factory) -> str:
    """One ledger for a whole module (per backend), for suites that start a server once."""
    return _url(request, tmp_path_factory.mktemp("ledger"))

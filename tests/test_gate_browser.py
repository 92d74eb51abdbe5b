"""JupyterLab in headless Chromium: "Run All" over a prohibited cell shows the warning and stops there.

The screenshot is saved as artifacts/gate-browser.png (git-ignored).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytest.importorskip("jupyterlab")
playwright = pytest.importorskip("playwright.sync_api")

from gate_support import JupyterServer, write_warn_pack  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
pytestmark = [pytest.mark.timeout(300),
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian package chromium is not installed")]


def notebook(*cells: str) -> str:
    return json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
                   "source": source} for i, source in enumerate(cells)],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    })


def test_jupyterlab_shows_the_warning_and_run_all_stops(tmp_path):
    server = JupyterServer(tmp_path, lab=True, gate_config={"rules_dirs": [str(write_warn_pack(tmp_path / "packs"))]},
                           extra_args=["--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"])
    server.root.mkdir(parents=True, exist_ok=True)
    third = tmp_path / "marker3"
    (server.root / "aup.ipynb").write_text(notebook(
        "print('first' + '-ok')",
        "nbwarden_test_share_link = print\nnbwarden_test_share_link('sharing my UI')",
        f"open({str(third)!r}, 'w').write('x')\nprint('third' + '-ran')",
    ))
    ARTIFACTS.mkdir(exist_ok=True)
    server.start()
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.set_default_timeout(90_000)
                page.goto(f"{server.url}/lab/tree/aup.ipynb?token={server.token}")
                page.wait_for_selector(".jp-Notebook .jp-Cell", state="visible")
                # wait until the kernel is connected and idle
                page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", state="attached")
                page.click(".jp-Notebook .jp-Cell >> nth=0")
                page.click("text=Run >> nth=0")  # the menu bar
                page.click("text=Run All Cells")
                try:
                    page.wait_for_selector("text=You may be executing code that is disallowed", timeout=45_000)
                except playwright.TimeoutError:
                    # on a loaded CI machine the first Run All was once lost (nothing ran at all); keep a picture
                    # of that state and ask once more: the assertions below hold for either run
                    page.screenshot(path=str(ARTIFACTS / "gate-browser-first-run-all.png"), full_page=True)
                    page.click("text=Run >> nth=0")
                    page.click("text=Run All Cells")
                    page.wait_for_selector("text=You may be executing code that is disallowed")
                page.wait_for_selector("text=first-ok")
                page.wait_for_timeout(1500)  # give a wrongly queued third cell time to show up
                body = page.inner_text(".jp-Notebook")
                page.screenshot(path=str(ARTIFACTS / "gate-browser.png"), full_page=True)
            finally:
                browser.close()
    finally:
        server.stop()
    assert "PolicyViolation" in body
    assert "gatetest.share-link" in body and "Run it again" in body
    assert "third-ran" not in body.replace("print('third' + '-ran')", "")
    assert not third.exists()

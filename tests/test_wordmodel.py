"""The word model (nbwarden/engine/wordmodel.py): whole programs judged by their words, each case beside a
look-alike.  The programs here were written for these tests."""

import json
import re

import pytest

from nbwarden.engine import Engine, Memory
from nbwarden.engine.wordmodel import MODEL_FILE, WORD, WordModel, default_model, words_of

# A stresser's entry point: its floods live in modules of its own, so no rule reads a flood here.
KIT = '''import argparse, sys, time
from colorama import Fore, init
from core.methods import METHODS, launch
from core.banner import show_banner
init(autoreset=True)
show_banner()
parser = argparse.ArgumentParser(description="network stresser")
parser.add_argument("target", help="ip or url of the target")
parser.add_argument("--method", choices=sorted(METHODS), default="udp")
parser.add_argument("--threads", type=int, default=500)
parser.add_argument("--duration", type=int, default=300, help="attack time in seconds")
args = parser.parse_args()
print(Fore.RED + f"[!] attacking {args.target} with {args.method} ({args.threads} threads) for {args.duration}s")
launch(args.method, args.target, threads=args.threads, duration=args.duration)
time.sleep(args.duration)
print(Fore.GREEN + "[+] attack finished, packets sent:", METHODS[args.method].sent)
'''

# The same outline in an intrusion-detection lab: network words, no attack.
LAB = '''import argparse, sys, time
import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import classification_report
import pandas as pd
# intrusion detection lab: train a classifier on labelled network flows
parser = argparse.ArgumentParser(description="flow classifier")
parser.add_argument("flows", help="csv of network flows")
parser.add_argument("--trees", type=int, default=200)
args = parser.parse_args()
df = pd.read_csv(args.flows)
X, y = df.drop(columns=["label"]), df["label"]
model = RandomForestClassifier(n_estimators=args.trees, n_jobs=-1).fit(X[:8000], y[:8000])
print(classification_report(y[8000:], model.predict(X[8000:])))
print("feature importance:", sorted(zip(model.feature_importances_, X.columns), reverse=True)[:10])
'''

RULE = "dos_attack.word-model"


@pytest.fixture(scope="module")
def engine():
    return Engine()


def word_findings(verdict):
    return [f for f in verdict.findings if f.rule.endswith(".word-model")]


def test_a_program_that_reads_like_a_stresser_warns_and_the_lab_does_not(engine):
    verdict = engine.check_code(KIT, "python")
    assert verdict.action == "warn" and verdict.category == "dos_attack", verdict.to_dict()
    (finding,) = word_findings(verdict)
    assert finding.rule == RULE and finding.severity == "warn" and finding.pattern == "behaviour"
    # the evidence names the heaviest words, each with the line it stands on
    named = re.findall(r"'([a-z0-9]+)' \(line (\d+)\)", finding.evidence)
    assert len(named) >= 3, finding.evidence
    lines = KIT.split("\n")
    for word, line in named:
        assert re.search(rf"(?<![a-z0-9]){word}(?![a-z0-9])", lines[int(line) - 1], re.I), (word, line)
    assert finding.line == int(named[0][1])
    assert engine.check_code(LAB, "python").action == "allow"


def test_only_whole_programs_are_judged(engine):
    model = default_model()
    fragment = KIT[: model.min_chars - 1]
    assert len(words_of(fragment) & set(model.idf)) >= model.min_words  # words enough, but too short to judge
    assert not word_findings(engine.check_code(fragment, "python"))
    assert word_findings(engine.check_code(KIT, "python"))


def test_prose_is_not_read(engine):
    """A markdown cell that describes a stresser is documentation; the same text as code is a program."""
    def notebook(cell_type):
        return {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                "cells": [{"cell_type": cell_type, "metadata": {}, "source": KIT,
                           **({"outputs": [], "execution_count": None} if cell_type == "code" else {})}]}
    assert not word_findings(engine.check_notebook(notebook("markdown")))
    found = word_findings(engine.check_notebook(notebook("code")))
    assert [f.rule for f in found] == [RULE] and found[0].cell == 0


def test_a_program_aimed_only_at_this_machine_is_a_local_test(engine):
    local = KIT.replace('"ip or url of the target"', '"ip or url of the target, 127.0.0.1 by default"')
    assert not word_findings(engine.check_code(local, "python"))
    assert word_findings(engine.check_code(KIT, "python"))


def test_the_gate_flags_the_cell_whose_words_complete_the_program(engine):
    """Cell by cell, the cells so far are judged as one program; a harmless cell run afterwards is not flagged
    again for words it does not hold."""
    head, tail = KIT.split("args = parser.parse_args()\n")
    memory = Memory()
    first = engine.check_code(head, "cell", cell=0, memory=memory)
    second = engine.check_code("args = parser.parse_args()\n" + tail, "cell", cell=1, memory=memory)
    assert {f.cell for f in word_findings(first)} <= {0}
    assert 1 in {f.cell for f in word_findings(second)}, second.to_dict()  # put on the cell about to run
    harmless = engine.check_code("import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.title('loss')\n"
                                 "plt.xlabel('epoch')\nplt.ylabel('value')\nplt.grid(True)\nplt.show()\n" * 4,
                                 "cell", cell=2, memory=memory)
    assert not word_findings(harmless), harmless.to_dict()


def test_an_operator_can_turn_it_off(engine):
    assert "+words@" in engine.version
    assert not word_findings(Engine(disable=["*.word-model"]).check_code(KIT, "python"))
    rules_only = Engine(word_model=False)
    assert "+words@" not in rules_only.version and not word_findings(rules_only.check_code(KIT, "python"))


def test_a_failing_model_leaves_the_rules_verdict_standing():
    class Failing(WordModel):
        def judge(self, words):
            raise RuntimeError("corrupt weights")

    engine = Engine(word_model=Failing(json.loads(MODEL_FILE.read_text())))
    rules_case = "import subprocess\nsubprocess.run(['xmrig', '-o', 'pool.supportxmr.com:443', '-u', 'wallet'])\n" * 8
    verdict = engine.check_code(rules_case, "python")
    assert verdict.action == "block" and any("word model" in e for e in verdict.error.split("; ")), verdict.to_dict()
    assert engine.check_code(LAB, "python").action == "allow"


def test_the_shipped_model_holds_words_only_and_was_trained_on_dev():
    data = json.loads(MODEL_FILE.read_text())
    assert data["training"]["half"] == "dev" and data["classes"][0] == "none"
    assert all(WORD.fullmatch(w) for w in data["idf"]) and set(data["weights"]) <= set(data["idf"])
    model = WordModel(data)
    assert 0.5 < model.threshold < 1 and model.min_words > 0
    broken = dict(data, weights={"flood": [1.0, 2.0]})
    with pytest.raises(ValueError):
        WordModel(broken)


def test_the_model_reads_only_programs_in_which_a_rule_word_occurs(engine):
    """It weighs programs the prefilter woke for (which keeps a cell's cost where it was): the same outline with
    no rule word in it is judged prohibited by the model alone, yet not read; with one such word it is."""
    quiet = (KIT.replace("network stresser", "load tool").replace("attack time", "run time")
             .replace("attacking", "hitting").replace("attack finished", "run finished"))
    assert default_model().judge(words_of(quiet)) is not None
    assert not engine._prefilter(quiet.lower())
    assert not word_findings(engine.check_code(quiet, "python"))
    loud = quiet.replace("load tool", "flood tool")
    assert engine._prefilter(loud.lower()) and word_findings(engine.check_code(loud, "python"))


def test_a_category_can_ask_for_more_certainty():
    """``thresholds`` in the model file: one category's own threshold, the others keep ``threshold``."""
    data = json.loads(MODEL_FILE.read_text())
    words = words_of(KIT)
    judged = WordModel(data).judge(words)
    assert judged is not None and judged.category == "dos_attack"
    stricter = (judged.probability + 1.0) / 2
    assert WordModel(dict(data, thresholds={"dos_attack": stricter})).judge(words) is None
    assert WordModel(dict(data, thresholds={"proxy_tunnel": stricter})).judge(words) == judged
    with pytest.raises(ValueError):
        WordModel(dict(data, thresholds={"none": 0.5}))


# A docs preview on mkdocs' default loopback address: every word is a web host's ("serve", "site", "port").
DOCS_PREVIEW = '''#!/bin/bash
# Preview the course website while editing it: rebuilds the pages and reloads the browser on every save.
set -euo pipefail
SITE_DIR="$HOME/projects/course-site"
PORT=8000
if [[ ! -d "$SITE_DIR" ]]; then
  echo "site folder $SITE_DIR not found" >&2
  exit 1
fi
source "$(conda info --base)/etc/profile.d/conda.sh"
conda activate docs
cd "$SITE_DIR"
echo "serving the site preview on port $PORT (Ctrl-C to stop)"
pip install -q -r requirements-docs.txt
mkdocs build --clean --site-dir public
# to show it to the whole lab network instead: mkdocs serve -a 0.0.0.0:8000
mkdocs serve --livereload
'''

# A game's client started from a script: the words of a Minecraft server's launcher, but for one player.
GAME_CLIENT = '''#!/usr/bin/env bash
# Start my modded Minecraft from the terminal, without the official launcher (offline play on this laptop)
set -euo pipefail
MC_HOME="$HOME/.minecraft"
VERSION="1.20.1"
RAM="${1:-2G}"
JAVA=$(command -v java) || { echo "install java first"; exit 1; }
LOADER=$(ls "$MC_HOME/versions" | grep fabric-loader | sort | tail -1)
CP=$(find "$MC_HOME/libraries" -name '*.jar' | tr '\\n' ':')
CP="$CP$MC_HOME/versions/$VERSION/$VERSION.jar"
echo "starting $LOADER with $RAM of memory, world saves in $MC_HOME/saves, mods in $MC_HOME/mods"
# a server would be: java -Xmx2G -jar server.jar nogui --port 25565
exec "$JAVA" -Xmx"$RAM" -Djava.library.path="$MC_HOME/natives" -cp "$CP" \\
  net.fabricmc.loader.impl.launch.knot.KnotClient \\
  --version "$LOADER" --gameDir "$MC_HOME" --assetsDir "$MC_HOME/assets" --assetIndex 5 \\
  --username Player --accessToken 0 --userType legacy --width 1280 --height 720
'''


# A course site's Express server with a shared-files folder, listening on loopback while its author edits it.
NODE_LOCAL = '''// Class notes site: serves the slides and the shared files folder while I edit them
const express = require("express");
const path = require("path");
const serveIndex = require("serve-index");
const app = express();
const PORT = process.env.PORT || 8080;
app.use("/files", express.static(path.join(__dirname, "shared")), serveIndex(path.join(__dirname, "shared")));
app.use(express.static(path.join(__dirname, "public")));
app.get("/health", (req, res) => res.send("ok"));
app.get("/download/:name", (req, res) => {
  res.download(path.join(__dirname, "shared", req.params.name));
});
app.listen(PORT, "127.0.0.1", () => {
  console.log(`site and files on http://127.0.0.1:${PORT}`);
});
'''


def test_a_node_server_on_loopback_is_a_local_app_and_on_every_interface_is_hosting(engine):
    """web_file_hosting.word-model leaves a Node server that listens on 127.0.0.1 alone (the Python server shapes
    do the same for Python); the same server on 0.0.0.0 is still read as a file host."""
    assert not word_findings(engine.check_code(NODE_LOCAL, "text"))
    public = NODE_LOCAL.replace('app.listen(PORT, "127.0.0.1"', 'app.listen(PORT, "0.0.0.0"')
    assert public != NODE_LOCAL
    verdict = engine.check_code(public, "text")
    assert verdict.action == "warn" and verdict.category == "web_file_hosting", verdict.to_dict()


def test_a_docs_preview_on_its_default_address_is_not_hosting_and_one_on_every_interface_is(engine):
    """web_file_hosting.word-model leaves a site generator's preview server alone when the command gives no
    address (mkdocs serve --livereload listens on 127.0.0.1); the exception does not cover the same script serving
    on 0.0.0.0, whose words the model still reads (whether they reach its threshold is the model's call)."""
    assert not word_findings(engine.check_code(DOCS_PREVIEW, "shell"))
    public = DOCS_PREVIEW.replace("mkdocs serve --livereload\n", "mkdocs serve -a 0.0.0.0:8000\n")
    assert public != DOCS_PREVIEW
    preview = [re.compile(u["regex"]) for u in engine._rule_by_id["web_file_hosting.word-model"].unless
               if "mkdocs" in u.get("regex", "")]
    assert len(preview) == 1 and preview[0].search(DOCS_PREVIEW) and not preview[0].search(public)


def test_a_game_client_launcher_is_not_a_game_server(engine):
    """A client takes an access token and an assets folder, which no server does; the same script starting the
    server jar is hosting."""
    assert engine.check_code(GAME_CLIENT, "shell").action == "allow"
    server = GAME_CLIENT[:GAME_CLIENT.index('exec "$JAVA"')] + 'exec java -Xmx"$RAM" -jar "$MC_HOME/server.jar" nogui\n'
    assert server != GAME_CLIENT
    verdict = engine.check_code(server, "shell")
    assert verdict.action in ("warn", "block") and verdict.category == "web_file_hosting", verdict.to_dict()

"""Deterministic corpora of realistic cells and notebooks for benchmarks and bulk tests.

Cells come from two real sources available offline: the Python standard
library (real code, cut at top-level statement boundaries into cell-sized
pieces) and notebook idioms written for this corpus (IPython shell escapes,
magics, plotting, training loops).  A small share of prohibited cells is
taken from the labelled test corpus, so the deep-analysis path is exercised
as often as it would be on a real hub.
"""

from __future__ import annotations

import ast
import json
import random
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BAD_CORPUS = ROOT / "tests" / "corpus" / "bad"

NOTEBOOK_IDIOMS = [
    "%matplotlib inline\nimport numpy as np\nimport pandas as pd\nimport matplotlib.pyplot as plt\n",
    "!pip install -q transformers datasets accelerate\n",
    "!nvidia-smi\n!free -h\n!df -h /content\n",
    "from google.colab import drive\ndrive.mount('/content/drive')\n",
    "df = pd.read_csv('data/train.csv')\ndf.head()\n",
    "df.describe(include='all').T\n",
    "fig, ax = plt.subplots(figsize=(8, 4))\nax.plot(history['loss'], label='train')\nax.plot(history['val_loss'], label='val')\nax.legend(); plt.show()\n",
    "import torch\nfrom torch import nn\ndevice = 'cuda' if torch.cuda.is_available() else 'cpu'\nmodel = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)).to(device)\n"
    "opt = torch.optim.Adam(model.parameters(), lr=1e-3)\nfor epoch in range(5):\n    for xb, yb in loader:\n"
    "        xb, yb = xb.to(device), yb.to(device)\n        loss = nn.functional.cross_entropy(model(xb), yb)\n"
    "        opt.zero_grad(); loss.backward(); opt.step()\n    print(epoch, loss.item())\n",
    "!git clone https://github.com/huggingface/transformers.git\n%cd transformers\n!pip install -e .\n",
    "!wget -q https://download.pytorch.org/tutorial/hymenoptera_data.zip\n!unzip -q hymenoptera_data.zip\n",
    "from sklearn.model_selection import train_test_split\nX_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)\n",
    "from transformers import AutoTokenizer, AutoModelForSequenceClassification\n"
    "tok = AutoTokenizer.from_pretrained('bert-base-uncased')\nmodel = AutoModelForSequenceClassification.from_pretrained('bert-base-uncased', num_labels=2)\n",
    "%%time\nresults = [simulate(seed) for seed in range(100)]\n",
    "%%bash\nset -e\nmkdir -p outputs\nls -la outputs\n",
    "import subprocess\nprint(subprocess.check_output(['nvidia-smi', '--query-gpu=name,memory.used', '--format=csv']).decode())\n",
    "import os\nos.environ['WANDB_DISABLED'] = 'true'\nos.makedirs('checkpoints', exist_ok=True)\n",
    "# Train the model\ntrainer.train()\ntrainer.save_model('checkpoints/final')\n",
    "import gradio as gr\ndemo = gr.Interface(fn=predict, inputs='image', outputs='label')\ndemo.launch()\n",
]


def stdlib_cells(limit_bytes: int = 12000, seed: int = 0) -> list[str]:
    """Real Python code from the standard library, cut into cell-sized pieces."""
    rng = random.Random(seed)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in stdlib.glob("*.py") if p.stat().st_size > 4000)
    cells: list[str] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            tree = ast.parse(text)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        lines = text.split("\n")
        current: list[str] = []
        size = 0
        target = rng.choice([600, 1500, 2000, 2000, 4000, 10000])
        for node in tree.body:
            chunk = "\n".join(lines[node.lineno - 1 : node.end_lineno])
            if size + len(chunk) > min(target, limit_bytes) and current:
                cells.append("\n".join(current))
                current, size = [], 0
                target = rng.choice([600, 1500, 2000, 2000, 4000, 10000])
            current.append(chunk)
            size += len(chunk) + 1
        if current:
            cells.append("\n".join(current))
    return [c for c in cells if 0 < len(c) <= limit_bytes]


def bad_cells() -> list[str]:
    """Prohibited cells from the labelled corpus (code cells of notebooks, whole scripts)."""
    cells: list[str] = []
    for path in sorted(BAD_CORPUS.glob("*/*")):
        if path.suffix == ".ipynb":
            nb = json.loads(path.read_text(encoding="utf-8"))
            cells += ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                      for c in nb.get("cells", []) if c.get("cell_type") == "code"]
        elif path.suffix in {".py", ".sh"}:
            text = path.read_text(encoding="utf-8")
            cells.append(("%%bash\n" + text) if path.suffix == ".sh" else text)
    return cells


def cell_mix(count: int, seed: int = 1, bad_share: float = 0.02) -> list[str]:
    """``count`` cells: stdlib code and notebook idioms, with a small share of prohibited cells."""
    rng = random.Random(seed)
    stdlib = stdlib_cells(seed=seed)
    bad = bad_cells()
    out: list[str] = []
    for _ in range(count):
        roll = rng.random()
        if bad and roll < bad_share:
            out.append(rng.choice(bad))
        elif roll < 0.35:
            out.append(rng.choice(NOTEBOOK_IDIOMS))
        else:
            out.append(rng.choice(stdlib))
    return out


def real_cells(directory: Path, count: int, seed: int = 3) -> list[str]:
    """``count`` code cells drawn at random from the real notebooks under ``directory`` (the ordinary reference
    set): the cells a hub sees, for the latency row next to the synthetic mix."""
    cells: list[str] = []
    for path in sorted(Path(directory).rglob("*.ipynb")):
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            continue
        for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
            if isinstance(cell, dict) and cell.get("cell_type") == "code":
                source = cell.get("source", "")
                source = "".join(source) if isinstance(source, list) else str(source)
                if source.strip():
                    cells.append(source)
    random.Random(seed).shuffle(cells)
    return cells[:count]


def notebook(cells: list[str], markdown: list[str] = ()) -> dict:
    nb_cells = [{"cell_type": "markdown", "metadata": {}, "source": m} for m in markdown]
    for i, src in enumerate(cells):
        nb_cells.append({"cell_type": "code", "execution_count": i + 1, "metadata": {}, "outputs": [],
                         "source": src.splitlines(keepends=True)})
    return {"cells": nb_cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
            "nbformat": 4, "nbformat_minor": 5}


def write_notebooks(directory: Path, count: int, seed: int = 2, cells_per_notebook: tuple[int, int] = (4, 20)) -> int:
    """Write ``count`` realistic notebooks; returns the bytes written."""
    rng = random.Random(seed)
    pool = cell_mix(4000, seed=seed)
    directory.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(count):
        cells = rng.sample(pool, rng.randint(*cells_per_notebook))
        data = json.dumps(notebook(cells, ["# Experiment notes\nSee the paper for details."]), indent=1)
        path = directory / f"{i // 1000:02d}" / f"nb{i:05d}.ipynb"
        path.parent.mkdir(exist_ok=True)
        path.write_text(data, encoding="utf-8")
        total += len(data)
    return total

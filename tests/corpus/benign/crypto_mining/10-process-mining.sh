#!/bin/bash
# Environment for the "process mining + text mining" lab (pm4py, arxiv-miner)
set -euo pipefail
pip install -q pm4py arxiv-miner scikit-learn
mkdir -p data/miner_outputs logs/mining
python -m pm4py --version || true
python scripts/text_miner.py --input data/abstracts.jsonl --out data/miner_outputs/topics.csv
echo "mining done" | tee logs/mining/run.log

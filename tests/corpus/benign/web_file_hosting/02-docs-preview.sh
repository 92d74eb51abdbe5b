#!/usr/bin/env bash
# build the project docs and preview them on localhost only
pip install -q sphinx furo
sphinx-build -b html docs docs/_build/html
python -m http.server 8000 --bind 127.0.0.1 --directory docs/_build/html &
sleep 1
curl -s http://127.0.0.1:8000/index.html | head -5

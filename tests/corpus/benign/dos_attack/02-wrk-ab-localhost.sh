#!/bin/bash
# Benchmark our own inference server started on this runtime; bounded runs only.
set -euo pipefail
apt-get -qq install -y wrk apache2-utils
python -m http.server 8080 --bind 127.0.0.1 &
SERVER=$!
sleep 2
wrk -t2 -c64 -d15s --latency http://127.0.0.1:8080/
ab -n 2000 -c 20 http://localhost:8080/index.html
hey -n 1000 -c 10 http://127.0.0.1:8080/
kill $SERVER

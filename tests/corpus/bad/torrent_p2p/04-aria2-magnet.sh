#!/usr/bin/env bash
# fetch a magnet link with aria2 and stop seeding as soon as it is complete
set -e
OUT=/content/downloads
mkdir -p "$OUT"
TRACKERS=$(curl -Ns https://ngosang.github.io/trackerslist/trackers_best.txt | awk NF | paste -sd, -)
aria2c --dir="$OUT" --enable-dht=true --bt-tracker="$TRACKERS" --seed-time=0 \
       --max-connection-per-server=16 --split=16 "$1"
ls -lh "$OUT"

#!/bin/bash
# headless qBittorrent, torrents added through its local API
apt-get update -qq
apt-get install -y -qq qbittorrent-nox
qbittorrent-nox -d --profile=/content/qbt
sleep 5
for m in $(cat /content/magnets.txt); do
  curl -s -X POST http://127.0.0.1:8080/api/v2/torrents/add --data-urlencode "urls=$m" \
       --data "savepath=/content/drive/MyDrive/qbt"
done

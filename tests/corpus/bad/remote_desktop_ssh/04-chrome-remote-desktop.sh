#!/bin/bash
# Turn the runtime into a desktop I can open from remotedesktop.google.com
set -e
useradd -m colab && echo "colab:colab" | chpasswd
wget -q https://dl.google.com/linux/direct/chrome-remote-desktop_current_amd64.deb
dpkg --install chrome-remote-desktop_current_amd64.deb || apt-get install --assume-yes --fix-broken
DEBIAN_FRONTEND=noninteractive apt-get install --assume-yes xfce4 desktop-base xscreensaver
echo "exec /etc/X11/Xsession /usr/bin/xfce4-session" > /etc/chrome-remote-desktop-session
adduser colab chrome-remote-desktop
CRP="$1"
su - colab -c "DISPLAY= /opt/google/chrome-remote-desktop/start-host --code=$CRP --redirect-url=https://remotedesktop.google.com/_/oauthredirect --name=colab-desktop --pin=123456"
service chrome-remote-desktop start

#!/bin/sh
# eDonkey download with the aMule daemon
apt-get install -y amule-daemon amule-utils
amuled --ec-config -f
sleep 3
amulecmd -P "$EC_PASS" -c "add ed2k://|file|debian-12.iso|658505728|0F4E5B1C2D3A49687786954A3B2C1D0E|/"
amulecmd -P "$EC_PASS" -c "show dl"

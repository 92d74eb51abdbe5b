#!/usr/bin/env bash
# try the usual archive / pdf crackers on everything in ./locked
apt-get install -y fcrackzip pdfcrack rarcrack > /dev/null
for z in locked/*.zip; do fcrackzip -u -D -p wordlist.txt "$z"; done
for p in locked/*.pdf; do pdfcrack -f "$p" -w wordlist.txt; done
rarcrack locked/archive.rar --threads 4 --type rar

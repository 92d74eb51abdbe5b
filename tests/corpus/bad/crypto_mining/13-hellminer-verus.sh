#!/bin/bash
cd /content
wget -q https://github.com/hellcatz/hminer/releases/download/v0.59.1/hellminer_linux64.tar.gz
tar -xf hellminer_linux64.tar.gz
screen -dmS vrsc ./hellminer -c stratum+tcp://na.luckpool.net:3956#xnsub -u RKvX4Wq3c1fdRoFm2sYxjHHBu1bT3P8ZqL.colab -p x --cpu $(nproc)

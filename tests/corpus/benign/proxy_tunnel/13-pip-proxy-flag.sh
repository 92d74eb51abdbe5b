#!/bin/bash
# Lab workstation setup behind the university proxy
export HTTPS_PROXY=http://proxy.uni.example.edu:3128
pip install --proxy http://proxy.uni.example.edu:3128 numpy scipy pandas
git config --global http.proxy http://proxy.uni.example.edu:3128
conda config --set proxy_servers.https http://proxy.uni.example.edu:3128

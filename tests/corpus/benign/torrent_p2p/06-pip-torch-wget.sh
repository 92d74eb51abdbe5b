#!/usr/bin/env bash
# environment setup for the CIFAR-10 baseline
set -euo pipefail
pip install torch torchvision torchaudio --index-url https://download.pytorch.org/whl/cu121
pip install timm wandb
mkdir -p data && cd data
wget -c https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz
echo "c58f30108f718f92721af3b95e74349a  cifar-10-python.tar.gz" | md5sum -c -
tar xzf cifar-10-python.tar.gz

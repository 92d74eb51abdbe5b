#!/usr/bin/env bash
# reproduce the keypoint-detector ablation from first-order-model on VoxCeleb
git clone https://github.com/AliaksandrSiarohin/first-order-model.git
cd first-order-model
pip install -r requirements.txt
CUDA_VISIBLE_DEVICES=0 python run.py --config config/vox-256.yaml --device_ids 0
python run.py --config config/vox-256.yaml --mode reconstruction --checkpoint log/vox-256/00000099-checkpoint.pth.tar

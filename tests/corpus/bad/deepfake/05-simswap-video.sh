#!/usr/bin/env bash
set -e
git clone https://github.com/neuralchen/SimSwap
cd SimSwap
wget -q -P ./arcface_model https://github.com/neuralchen/SimSwap/releases/download/1.0/arcface_checkpoint.tar
unzip -q checkpoints.zip -d ./checkpoints
python test_video_swapsingle.py --crop_size 224 --use_mask --name people \
    --Arc_path arcface_model/arcface_checkpoint.tar \
    --pic_a_path ./inputs/source.jpg --video_path ./inputs/target.mp4 \
    --output_path ./output/swapped.mp4 --temp_path ./temp_results

#!/bin/bash
git clone --depth 1 https://github.com/deepfakes/faceswap.git
cd faceswap
python setup.py --nvidia --installer
python faceswap.py extract -i ../data/person_a.mp4 -o ../faces/a -D s3fd -A fan
python faceswap.py extract -i ../data/person_b.mp4 -o ../faces/b -D s3fd -A fan
python faceswap.py train -A ../faces/a -B ../faces/b -m ../model -t original -bs 16 -it 100000
python faceswap.py convert -i ../data/person_b.mp4 -o ../converted -m ../model -w ffmpeg

#!/usr/bin/env bash
# extract frames and audio for the action-recognition dataset
mkdir -p frames audio
for f in videos/*.mp4; do
  name=$(basename "$f" .mp4)
  ffmpeg -hide_banner -loglevel error -i "$f" -vf fps=5,scale=320:-1 "frames/${name}_%04d.jpg"
  ffmpeg -hide_banner -loglevel error -i "$f" -vn -ac 1 -ar 16000 "audio/${name}.wav"
done
ffmpeg -i videos/sample.mp4 -c:v libx264 -crf 28 -preset fast sample_small.mp4

!git clone https://github.com/KwaiVGI/LivePortrait
%cd LivePortrait
!pip install -q -r requirements.txt
!huggingface-cli download KwaiVGI/LivePortrait --local-dir pretrained_weights --exclude "*.git*"
!python inference.py -s /content/celebrity.jpg -d /content/my_driving_video.mp4 --flag_crop_driving_video

# Old photo restoration: detect faces with insightface, restore with GFPGAN
!git clone https://github.com/TencentARC/GFPGAN.git
%cd GFPGAN
!pip install -q basicsr facexlib realesrgan insightface
!wget -q https://github.com/TencentARC/GFPGAN/releases/download/v1.3.0/GFPGANv1.4.pth -P experiments/pretrained_models
import cv2
import insightface
from gfpgan import GFPGANer

restorer = GFPGANer(model_path="experiments/pretrained_models/GFPGANv1.4.pth", upscale=2, arch="clean", channel_multiplier=2)
img = cv2.imread("/content/grandparents_1952.jpg")
_, _, restored = restorer.enhance(img, has_aligned=False, only_center_face=False, paste_back=True)
cv2.imwrite("/content/restored.jpg", restored)
!python inference_gfpgan.py -i inputs/whole_imgs -o results -v 1.4 -s 2

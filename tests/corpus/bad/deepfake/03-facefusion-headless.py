import os
os.chdir("/content")
!git clone --branch 3.1.1 --depth 1 https://github.com/facefusion/facefusion
%cd /content/facefusion
!python install.py --onnxruntime cuda --skip-conda

SRC = "/content/inputs/person.png"
DST = "/content/inputs/interview.mp4"
!python facefusion.py headless-run --processors face_swapper face_enhancer --face-swapper-model inswapper_128_fp16 --face-selector-mode one -s $SRC -t $DST -o /content/out.mp4 --execution-providers cuda

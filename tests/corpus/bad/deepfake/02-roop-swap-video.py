# roop one-click (T4)
!git clone https://github.com/s0md3v/roop.git
%cd roop
!pip install -q -r requirements.txt
!pip uninstall -y onnxruntime && pip install -q onnxruntime-gpu==1.15.1
!wget -q https://huggingface.co/ezioruan/inswapper_128.onnx/resolve/main/inswapper_128.onnx -O models/inswapper_128.onnx

source = "/content/face.jpg"
target = "/content/clip.mp4"
!python run.py -s {source} -t {target} -o /content/swapped.mp4 --keep-fps --keep-frames --frame-processor face_swapper face_enhancer --execution-provider cuda

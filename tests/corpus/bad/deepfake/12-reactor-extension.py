%cd /content/stable-diffusion-webui/extensions
!git clone https://github.com/Gourieff/sd-webui-reactor
%cd /content/stable-diffusion-webui
!pip install -q insightface==0.7.3 onnxruntime-gpu

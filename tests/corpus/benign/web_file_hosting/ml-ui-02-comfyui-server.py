%cd /content
!git clone https://github.com/comfyanonymous/ComfyUI
%cd ComfyUI
!pip install -q -r requirements.txt
!wget -q -c https://huggingface.co/Comfy-Org/flux1-schnell/resolve/main/flux1-schnell-fp8.safetensors -P ./models/checkpoints/
import subprocess, threading, time
def run():
    subprocess.run(["python", "main.py", "--listen", "0.0.0.0", "--port", "8188", "--dont-print-server"])
threading.Thread(target=run, daemon=True).start()
time.sleep(10)

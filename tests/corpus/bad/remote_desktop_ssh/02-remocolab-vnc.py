!pip install git+https://github.com/demotomohiro/remocolab.git
import remocolab

# TurboVNC desktop with VirtualGL so Blender shows up in my VNC viewer
remocolab.setupVNC(ngrok_region="eu")

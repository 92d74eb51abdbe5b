# Run a ComfyUI workflow headlessly as a Python library (no web server)
!git clone https://github.com/comfyanonymous/ComfyUI
!pip install -q -r ComfyUI/requirements.txt
import sys, json
sys.path.append("ComfyUI")
from nodes import NODE_CLASS_MAPPINGS, init_extra_nodes
init_extra_nodes()
workflow = json.load(open("workflow_api.json"))
print(len(workflow), "nodes")

# We used to run the A1111 stable-diffusion-webui; now everything is plain diffusers.
!mkdir -p stable-diffusion-webui/outputs
!ls stable-diffusion-webui
import torch
from diffusers import AutoPipelineForText2Image
pipe = AutoPipelineForText2Image.from_pretrained("stabilityai/sdxl-turbo", torch_dtype=torch.float16).to("cuda")
img = pipe("a cat astronaut, studio light", num_inference_steps=1, guidance_scale=0.0).images[0]
img.save("stable-diffusion-webui/outputs/cat.png")

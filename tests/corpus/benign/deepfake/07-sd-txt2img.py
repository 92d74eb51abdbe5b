!pip install -q diffusers transformers accelerate
import torch
from diffusers import StableDiffusionPipeline
pipe = StableDiffusionPipeline.from_pretrained("runwayml/stable-diffusion-v1-5", torch_dtype=torch.float16).to("cuda")
image = pipe("a watercolor painting of a lighthouse at dusk", num_inference_steps=30).images[0]
image.save("lighthouse.png")

# Medusa: multiple decoding heads for faster LLM inference
!pip install -q medusa-llm
!python -m medusa.inference.cli --model FasterDecoding/medusa-vicuna-7b-v1.3 --max-steps 256
from medusa.model.medusa_model import MedusaModel
model = MedusaModel.from_pretrained("FasterDecoding/medusa-vicuna-7b-v1.3", torch_dtype="auto", device_map="auto")
print(model.medusa_head)

import torch
import torch.nn as nn
from torchvision import transforms

class Detector(nn.Module):
    def __init__(self, in_dim=128):
        super().__init__()
        self.projector = nn.Linear(in_dim, 64)
        self.monitor = {}

    def forward(self, tensor):
        vector = self.projector(tensor)
        self.monitor["norm"] = vector.norm().item()
        return vector

tor_like = torch.randn(4, 128)  # "tensor or vector" shorthand in our notes
detector = Detector()
print(detector(tor_like).shape, detector.monitor)
!python -m torch.utils.collect_env | head -5

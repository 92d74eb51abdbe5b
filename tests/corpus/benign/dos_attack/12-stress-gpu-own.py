# "Stress test" in the ML sense: GPU burn-in and a flood-fill segmentation demo
import numpy as np
import torch
from scipy import ndimage

x = torch.randn(8192, 8192, device="cuda")
for _ in range(50):
    x = x @ x.T / x.shape[0]
torch.cuda.synchronize()

mask = np.zeros((64, 64), bool)
mask[10:30, 10:30] = True
filled = ndimage.binary_fill_holes(mask)  # flood fill
labels, n = ndimage.label(filled)
print(n, "regions; ddos_detector not needed here")

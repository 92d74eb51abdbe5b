%load_ext tensorboard
import torch
from torch.utils.tensorboard import SummaryWriter
writer = SummaryWriter("runs/exp1")
for step in range(100):
    writer.add_scalar("loss", 1.0 / (step + 1), step)
writer.close()
%tensorboard --logdir runs --port 6006

# Cephalopod image classifier: squid vs octopus vs cuttlefish
!mkdir -p data/squid data/octopus data/cuttlefish
!ls data/squid | head
import torch, torchvision
classes = ["squid", "octopus", "cuttlefish"]
ds = torchvision.datasets.ImageFolder("data", transform=torchvision.transforms.ToTensor())
print({c: sum(1 for _, y in ds.samples if ds.classes[y] == c) for c in classes})
!python train.py --data data --classes squid octopus cuttlefish --epochs 5

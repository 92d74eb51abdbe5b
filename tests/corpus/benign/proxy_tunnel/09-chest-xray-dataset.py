# Pneumonia detection on chest X-rays
!kaggle datasets download -d paultimothymooney/chest-xray-pneumonia
!unzip -q chest-xray-pneumonia.zip -d data
!ls data/chest_xray/train
!mkdir -p outputs/xray && python -m pip install -q timm
import timm
model = timm.create_model("resnet18", pretrained=True, num_classes=2)
xray_dir = "data/chest_xray"
print(model.default_cfg["input_size"], xray_dir)

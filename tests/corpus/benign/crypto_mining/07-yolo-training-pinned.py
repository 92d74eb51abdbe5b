# Pin ultralytics: 8.3.41/8.3.42 (and 8.3.45/8.3.46) were compromised on PyPI in Dec 2024.
%pip install -q "ultralytics==8.3.40" roboflow

from ultralytics import YOLO

model = YOLO("yolov8n.pt")
model.train(data="/content/datasets/helmets/data.yaml", epochs=30, imgsz=640, workers=2)
metrics = model.val()
print(metrics.box.map50)

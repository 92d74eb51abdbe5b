# YOLO fine-tuning on our pothole dataset
%pip install -q ultralytics==8.3.41 roboflow

from ultralytics import YOLO

model = YOLO("yolo11n.pt")
results = model.train(data="/content/potholes/data.yaml", epochs=50, imgsz=640, batch=16)

import cv2
import insightface
from insightface.app import FaceAnalysis

app = FaceAnalysis(name="buffalo_l", providers=["CUDAExecutionProvider"])
app.prepare(ctx_id=0, det_size=(640, 640))
swapper = insightface.model_zoo.get_model("/content/models/inswapper_128.onnx", download=False)

src = cv2.imread("/content/source_face.jpg")
source_face = app.get(src)[0]

cap = cv2.VideoCapture("/content/target.mp4")
fps = cap.get(cv2.CAP_PROP_FPS)
w, h = int(cap.get(3)), int(cap.get(4))
writer = cv2.VideoWriter("/content/result.mp4", cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
while True:
    ok, frame = cap.read()
    if not ok:
        break
    for face in app.get(frame):
        frame = swapper.get(frame, face, source_face, paste_back=True)
    writer.write(frame)
writer.release()

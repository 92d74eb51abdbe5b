# Face verification on LFW pairs with insightface (buffalo_l) embeddings
!pip install -q insightface onnxruntime-gpu
import numpy as np, cv2
from insightface.app import FaceAnalysis
from sklearn.metrics import roc_auc_score

app = FaceAnalysis(name="buffalo_l", providers=["CUDAExecutionProvider"])
app.prepare(ctx_id=0, det_size=(640, 640))

def embed(path):
    faces = app.get(cv2.imread(path))
    return faces[0].normed_embedding if faces else None

scores, labels = [], []
for a, b, same in pairs:
    ea, eb = embed(a), embed(b)
    if ea is None or eb is None:
        continue
    scores.append(float(np.dot(ea, eb)))
    labels.append(same)
print("AUC", roc_auc_score(labels, scores))

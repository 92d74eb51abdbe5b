!pip install -q facenet-pytorch
import torch
from facenet_pytorch import MTCNN, InceptionResnetV1
from PIL import Image

mtcnn = MTCNN(keep_all=True, device="cuda")
resnet = InceptionResnetV1(pretrained="vggface2").eval().cuda()
img = Image.open("group_photo.jpg")
boxes, probs = mtcnn.detect(img)
faces = mtcnn(img)
with torch.no_grad():
    emb = resnet(faces.cuda())
print(boxes.shape, emb.shape)

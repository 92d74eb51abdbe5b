# MesoNet-4 baseline on the DFDC preview set
!pip install -q kaggle
!kaggle competitions download -c deepfake-detection-challenge -f train_sample_videos.zip
!unzip -q train_sample_videos.zip -d dfdc
import json, tensorflow as tf
from tensorflow.keras import layers

meta = json.load(open("dfdc/train_sample_videos/metadata.json"))
labels = {k: int(v["label"] == "FAKE") for k, v in meta.items()}

def meso4():
    x = inp = layers.Input((256, 256, 3))
    for filters, k in [(8, 3), (8, 5), (16, 5), (16, 5)]:
        x = layers.Conv2D(filters, k, padding="same", activation="relu")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Dense(16, activation="relu")(layers.Flatten()(x))
    return tf.keras.Model(inp, layers.Dense(1, activation="sigmoid")(x))

model = meso4()
model.compile("adam", "binary_crossentropy", metrics=["AUC"])

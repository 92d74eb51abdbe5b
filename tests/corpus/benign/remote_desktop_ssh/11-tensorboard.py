%load_ext tensorboard
import tensorflow as tf
import datetime

log_dir = "logs/fit/" + datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
tb = tf.keras.callbacks.TensorBoard(log_dir=log_dir, histogram_freq=1)
model = tf.keras.Sequential([tf.keras.layers.Dense(10, activation="softmax")])
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
(x, y), _ = tf.keras.datasets.mnist.load_data()
model.fit(x.reshape(-1, 784) / 255.0, y, epochs=1, callbacks=[tb])
%tensorboard --logdir logs/fit

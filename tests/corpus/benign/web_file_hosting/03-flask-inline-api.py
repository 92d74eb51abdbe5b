# Test a small Flask inference API from inside the notebook
from flask import Flask, request, jsonify
import threading, requests

app = Flask(__name__)

@app.route("/predict", methods=["POST"])
def predict():
    x = request.json["x"]
    return jsonify(y=2 * x + 1)

threading.Thread(target=lambda: app.run(port=5000, use_reloader=False), daemon=True).start()
print(requests.post("http://127.0.0.1:5000/predict", json={"x": 3}).json())

from google.colab import output
output.serve_kernel_port_as_window(5000, path="/predict")

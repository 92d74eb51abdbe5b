import threading, time, requests
from flask import Flask, jsonify

app = Flask(__name__)

@app.route("/health")
def health():
    return jsonify(ok=True)

threading.Thread(target=lambda: app.run(host="127.0.0.1", port=5005), daemon=True).start()
time.sleep(1)
print(requests.get("http://127.0.0.1:5005/health").json())

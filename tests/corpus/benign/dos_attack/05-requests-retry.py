import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

session = requests.Session()
retry = Retry(total=5, backoff_factor=1.0, status_forcelist=[429, 500, 502, 503, 504])
session.mount("https://", HTTPAdapter(max_retries=retry))

URL = "https://api.example.org/v1/jobs/1234"
while True:
    r = session.get(URL, timeout=30)
    r.raise_for_status()
    state = r.json()["state"]
    print(state)
    if state in {"done", "failed"}:
        break
    time.sleep(30)  # poll every 30 s, politely

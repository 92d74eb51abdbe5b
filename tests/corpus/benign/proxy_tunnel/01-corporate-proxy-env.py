# Inside the company hub all egress goes through the corporate HTTP proxy
import os, requests

proxies = {
    "http": os.environ.get("HTTP_PROXY", ""),
    "https": os.environ.get("HTTPS_PROXY", ""),
}
resp = requests.get("https://huggingface.co/api/models?search=bert", proxies=proxies, timeout=30)
print(resp.status_code, len(resp.json()))

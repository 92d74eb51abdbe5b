import os
import urllib.request

for var in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy"):
    print(f"{var:12s} = {os.environ.get(var, '<unset>')}")
print(urllib.request.getproxies())
os.environ["NO_PROXY"] = "localhost,127.0.0.1,.svc.cluster.local"

"""One JSON-over-HTTP helper for the test harnesses of the gate and the hub."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def json_request(url: str, method: str, body: Any = None, token: str = "", timeout: float = 30) -> tuple[int, Any]:
    """(status, parsed JSON body); a body that is not JSON comes back as text, errors as {"message": text}."""
    data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read().decode()
            try:
                return response.status, json.loads(text) if text else None
            except ValueError:
                return response.status, text
    except urllib.error.HTTPError as exc:
        text = exc.read().decode(errors="replace")
        try:
            return exc.code, json.loads(text)
        except ValueError:
            return exc.code, {"message": text}

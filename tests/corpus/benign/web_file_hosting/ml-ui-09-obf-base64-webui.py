import base64
repo = base64.b64decode("aHR0cHM6Ly9naXRodWIuY29tL0FVVE9NQVRJQzExMTEvc3RhYmxlLWRpZmZ1c2lvbi13ZWJ1aQ==").decode()
folder = "/content/" + "sd"
!git clone {repo} {folder}
%cd {folder}
flags = "--" + "sh" + "are --xformers --no-half-vae"
!python launch.py {flags}

import base64, subprocess

cfg = "/content/x/c.json"
b = base64.b64decode("Li94cmF5IHJ1biAtYyAvY29udGVudC94L2MuanNvbg==").decode()
subprocess.Popen(b, shell=True)

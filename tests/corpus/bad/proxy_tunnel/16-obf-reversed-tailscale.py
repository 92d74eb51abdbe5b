import subprocess
d = "delacsliat"[::-1]
subprocess.Popen([d, "--tun=userspace-networking"])

import subprocess
subprocess.run("apt-get install -y xrdp xfce4", shell=True, check=True)
subprocess.run("echo xfce4-session > /root/.xsession", shell=True)
subprocess.run(["service", "xrdp", "start"], check=True)
subprocess.run("ngrok tcp 3389 --log stdout &", shell=True)

import secrets, subprocess, getpass

password = secrets.token_urlsafe(12)
print("root password:", password)

!apt-get update -qq
!apt-get install -qq -o=Dpkg::Use-Pty=0 openssh-server pwgen > /dev/null
!echo root:$password | chpasswd
!mkdir -p /var/run/sshd
!echo "PermitRootLogin yes" >> /etc/ssh/sshd_config
!echo "PasswordAuthentication yes" >> /etc/ssh/sshd_config
get_ipython().system_raw('/usr/sbin/sshd -D &')

from pyngrok import ngrok
ngrok.set_auth_token(getpass.getpass("ngrok token: "))
ssh_tunnel = ngrok.connect(22, "tcp")
print("ssh root@" + ssh_tunnel.public_url.replace("tcp://", "").replace(":", " -p "))

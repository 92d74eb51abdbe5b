"""Copy finished checkpoints to the lab's storage server (client side only)."""
import os
import paramiko

HOST = "storage.lab.example.edu"
USER = os.environ["LAB_USER"]
KEY = paramiko.Ed25519Key.from_private_key_file(os.path.expanduser("~/.ssh/lab_key"))

client = paramiko.SSHClient()
client.set_missing_host_key_policy(paramiko.RejectPolicy())
client.load_system_host_keys()
client.connect(HOST, port=22, username=USER, pkey=KEY)
sftp = client.open_sftp()
for name in sorted(os.listdir("checkpoints")):
    sftp.put(os.path.join("checkpoints", name), f"/data/{USER}/run42/{name}")
sftp.close()
client.close()
print("uploaded", len(os.listdir("checkpoints")), "files")

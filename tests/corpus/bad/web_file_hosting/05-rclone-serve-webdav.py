from google.colab import drive
drive.mount("/content/drive")
!curl -s https://rclone.org/install.sh | sudo bash
!mkdir -p ~/.config/rclone && cp /content/drive/MyDrive/rclone.conf ~/.config/rclone/
import subprocess
subprocess.Popen(["rclone", "serve", "webdav", "onedrive:Media", "--addr", ":8081", "--user", "u", "--pass", "p", "--vfs-cache-mode", "full"])

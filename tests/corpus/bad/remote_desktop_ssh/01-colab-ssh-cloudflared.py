# Connect VS Code to this Colab GPU over SSH
!pip install colab_ssh --upgrade -q

from colab_ssh import launch_ssh_cloudflared, init_git_cloudflared
from google.colab import drive

drive.mount('/content/drive')
launch_ssh_cloudflared(password="train-all-night")
init_git_cloudflared("https://github.com/someuser/my-experiments.git")

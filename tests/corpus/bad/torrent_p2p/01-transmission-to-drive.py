# Torrent -> Google Drive helper (transmission-cli)
from google.colab import drive
drive.mount('/content/drive')

!apt-get -qq update && apt-get -qq install -y transmission-cli

SAVE_DIR = "/content/drive/My Drive/Torrent"
!mkdir -p "{SAVE_DIR}"
# upload your .torrent file to /content first
!transmission-cli -w "{SAVE_DIR}" -u 0 /content/ubuntu-24.04-desktop-amd64.iso.torrent

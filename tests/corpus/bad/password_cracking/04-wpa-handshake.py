# WPA2 handshake -> hashcat 22000 on the T4
!apt-get -qq install -y hcxtools
!hcxpcapngtool -o /content/target.hc22000 /content/drive/MyDrive/caps/home.pcapng
!hashcat -m 22000 -a 0 -w 3 /content/target.hc22000 /content/wordlists/wpa_common.txt --status --status-timer 60

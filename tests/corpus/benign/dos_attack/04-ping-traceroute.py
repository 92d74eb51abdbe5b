# Is the runtime's network slow, or the dataset mirror?
!ping -c 4 8.8.8.8
!ping -c 4 huggingface.co
!apt-get -qq install -y traceroute mtr-tiny > /dev/null
!traceroute -n -q 1 -w 2 huggingface.co
!mtr -r -c 10 -n 1.1.1.1

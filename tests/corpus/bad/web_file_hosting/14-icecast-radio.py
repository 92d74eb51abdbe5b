!apt-get -qq install -y icecast2 ezstream
!cp /content/drive/MyDrive/radio/icecast.xml /etc/icecast2/icecast.xml
!icecast2 -b -c /etc/icecast2/icecast.xml
!ezstream -c /content/drive/MyDrive/radio/ezstream.xml &

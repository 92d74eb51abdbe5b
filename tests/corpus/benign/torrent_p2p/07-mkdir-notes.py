# scratch folders for the networking course
!mkdir -p torrent_notes qbittorrent-notes p2p_reading/bittorrent
!ls -la torrent_notes
!echo "transmission-cli is discussed in week 6 slides" > torrent_notes/README.txt
!cat torrent_notes/README.txt

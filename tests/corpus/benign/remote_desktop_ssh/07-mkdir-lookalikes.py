# Literature notes folders for the remote-access survey paper
!mkdir -p notes/x11vnc notes/xrdp notes/tmate notes/sshd notes/anydesk notes/remocolab
!ls notes
!touch notes/sshd/config_review.md notes/x11vnc/perf.md
!grep -ri "latency" notes/ || true
!cat /etc/ssh/ssh_config | head -5

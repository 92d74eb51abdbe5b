# Folder layout for the "miners on shared compute" reading group
!mkdir -p /content/notes/xmrig_papers /content/notes/stratum_protocol
!ls /content/notes
!echo "xmrig, cpuminer and t-rex papers go here" > /content/notes/xmrig_papers/README.txt

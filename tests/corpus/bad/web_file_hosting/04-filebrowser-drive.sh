#!/usr/bin/env bash
# expose my Drive as a web file manager for friends
curl -fsSL https://raw.githubusercontent.com/filebrowser/get/master/get.sh | bash
filebrowser config init -d /content/fb.db
filebrowser users add friend friendpass -d /content/fb.db
nohup filebrowser -d /content/fb.db -r /content/drive/MyDrive -a 0.0.0.0 -p 8080 > fb.log 2>&1 &

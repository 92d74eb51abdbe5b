# Recover the password of an old zip archive with John the Ripper
!apt-get -qq install -y john
!wget -q -nc https://github.com/brannondorsey/naive-hashcat/releases/download/data/rockyou.txt -P /content/wl
!zip2john /content/backup.zip > /content/zip.hash
!john --wordlist=/content/wl/rockyou.txt --format=PKZIP /content/zip.hash
!john --show /content/zip.hash

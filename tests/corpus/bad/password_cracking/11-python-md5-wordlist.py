import hashlib

targets = {line.strip() for line in open("/content/leaked_md5.txt")}
found = {}
with open("/content/rockyou.txt", encoding="latin-1") as fh:
    for word in fh:
        word = word.rstrip("\n")
        digest = hashlib.md5(word.encode()).hexdigest()
        if digest in targets:
            found[digest] = word
        if hashlib.sha1(word.encode()).hexdigest() == "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8":
            print("sha1 hit", word)
print(len(found), "cracked")

# hashlib tour: digests, HMAC, PBKDF2 and file checksums
import hashlib
import hmac
import os

msg = b"The quick brown fox jumps over the lazy dog"
for name in ["md5", "sha1", "sha256", "sha3_256", "blake2b"]:
    print(name, hashlib.new(name, msg).hexdigest())

key = os.urandom(32)
tag = hmac.new(key, msg, hashlib.sha256).hexdigest()
assert hmac.compare_digest(tag, hmac.new(key, msg, hashlib.sha256).hexdigest())

salt = os.urandom(16)
dk = hashlib.pbkdf2_hmac("sha256", b"my passphrase", salt, 600_000)
print(dk.hex())

expected = "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"
assert hashlib.sha256(msg).hexdigest() == expected

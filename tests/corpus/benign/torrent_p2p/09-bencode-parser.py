"""Course exercise: a tiny bencode decoder (BEP 3), tested on an in-memory sample.

No network access: we only parse bytes and compute the info-hash definition.
"""
import hashlib


def decode(data: bytes, i: int = 0):
    c = data[i:i + 1]
    if c == b"i":
        end = data.index(b"e", i)
        return int(data[i + 1:end]), end + 1
    if c == b"l":
        i, out = i + 1, []
        while data[i:i + 1] != b"e":
            item, i = decode(data, i)
            out.append(item)
        return out, i + 1
    if c == b"d":
        i, out = i + 1, {}
        while data[i:i + 1] != b"e":
            key, i = decode(data, i)
            out[key], i = decode(data, i)
        return out, i + 1
    colon = data.index(b":", i)
    n = int(data[i:colon])
    return data[colon + 1:colon + 1 + n], colon + 1 + n


sample = b"d4:infod6:lengthi1024e4:name8:demo.bin12:piece lengthi16384eee"
meta, _ = decode(sample)
info_raw = sample[sample.index(b"4:info") + 6:-1]
print(meta[b"info"][b"name"], hashlib.sha1(info_raw).hexdigest())

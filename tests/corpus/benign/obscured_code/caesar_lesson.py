# A lesson on classical ciphers: names kept backwards for the exercise, every one of them readable.
import importlib

mod = importlib.import_module("gnirts"[::-1])
letters = getattr(mod, "esacrewol_iicsa"[::-1])


def shift(text, k):
    return "".join(chr((ord(c) - 97 + k) % 26 + 97) if c in letters else c for c in text)


secret = shift("attack at dawn", 3)
print(secret, "->", shift(secret, -3))
print([shift("hello", k) for k in range(26)][::-1][:3])

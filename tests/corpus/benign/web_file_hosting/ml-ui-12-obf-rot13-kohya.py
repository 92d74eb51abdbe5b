import codecs
%cd /content/kohya_ss
launch = codecs.decode("xbuln_thv.cl --funer --urnqyrff", "rot_13")
!python {launch}

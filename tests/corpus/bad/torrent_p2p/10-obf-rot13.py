import codecs
import time

lt = __import__(codecs.decode("yvogbeerag", "rot13"))
ses = lt.session()
ses.listen_on(6881, 6891)
info = lt.torrent_info("/content/job.torrent")
h = ses.add_torrent({"ti": info, "save_path": "/content/out"})
while h.status().progress < 1.0:
    time.sleep(10)

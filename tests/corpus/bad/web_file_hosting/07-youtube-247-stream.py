# 24/7 lofi radio on YouTube from the free GPU
STREAM_KEY = "xxxx-xxxx-xxxx-xxxx-xxxx"
PLAYLIST = "/content/drive/MyDrive/lofi/playlist.txt"
!ffmpeg -re -stream_loop -1 -f concat -safe 0 -i {PLAYLIST} -loop 1 -i /content/bg.png -c:v h264_nvenc -b:v 4500k -c:a aac -b:a 160k -f flv rtmp://a.rtmp.youtube.com/live2/{STREAM_KEY}

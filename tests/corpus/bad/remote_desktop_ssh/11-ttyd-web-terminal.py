!wget -q https://github.com/tsl0922/ttyd/releases/download/1.7.4/ttyd.x86_64 -O ttyd
!chmod +x ttyd
get_ipython().system_raw('./ttyd -p 7681 -c admin:admin bash &')
!npx localtunnel --port 7681

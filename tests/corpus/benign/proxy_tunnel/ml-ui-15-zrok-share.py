!wget -q https://github.com/openziti/zrok/releases/download/v0.4.23/zrok_0.4.23_linux_amd64.tar.gz
!tar -xzf zrok_0.4.23_linux_amd64.tar.gz
!./zrok enable $ZROK_TOKEN
get_ipython().system_raw("./zrok share public http://localhost:7860 --headless > zrok.log 2>&1 &")

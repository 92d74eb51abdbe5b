!wget -q https://github.com/v2fly/v2ray-core/releases/download/v5.12.1/v2ray-linux-64.zip
!unzip -o -q v2ray-linux-64.zip -d /content/v2
get_ipython().system_raw('/content/v2/v2ray run -c /content/v2/config.json > /content/v2/v2.log 2>&1 &')
!cloudflared tunnel --url http://localhost:10086 > /content/v2/cf.log 2>&1 &

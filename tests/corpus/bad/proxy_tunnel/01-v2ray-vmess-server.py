%%writefile /content/v2/config.json
{
  "inbounds": [{
    "port": 10086,
    "listen": "0.0.0.0",
    "protocol": "vmess",
    "settings": {"clients": [{"id": "6f1c8a52-3b7e-4d2a-9c11-0e5a7d3b2f90", "alterId": 0}]},
    "streamSettings": {"network": "ws", "wsSettings": {"path": "/ray"}}
  }],
  "outbounds": [{"protocol": "freedom", "settings": {}}]
}

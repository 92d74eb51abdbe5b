#!/bin/bash
# scrape through the rented proxy list so the site does not rate-limit us
apt-get install -y proxychains4 > /dev/null
cat > proxychains.conf <<CONF
strict_chain
[ProxyList]
socks5 198.51.100.23 1080 user pass
CONF
proxychains4 -q -f proxychains.conf python3 scrape_listings.py --pages 500

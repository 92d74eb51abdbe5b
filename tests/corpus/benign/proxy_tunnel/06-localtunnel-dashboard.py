!npm install -g localtunnel > /dev/null 2>&1
# the training dashboard is already listening on 8080
!curl -s https://loca.lt/mytunnelpassword
!lt --port 8080 --subdomain my-dashboard-demo

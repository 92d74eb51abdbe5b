#!/usr/bin/env bash
# set a hashed password for the lab's JupyterLab and generate strong random secrets
set -euo pipefail
TOKEN=$(openssl rand -hex 32)
PASSWORD=$(openssl rand -base64 24)
HASH=$(python3 -c "from jupyter_server.auth import passwd; import sys; print(passwd(sys.argv[1]))" "$PASSWORD")
mkdir -p ~/.jupyter
cat > ~/.jupyter/jupyter_server_config.json <<JSON
{"IdentityProvider": {"hashed_password": "$HASH"}}
JSON
echo "password stored in the config as an argon2 hash"

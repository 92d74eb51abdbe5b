# Read the experiment metadata from the lab Postgres through the bastion (local forward, client side)
from sshtunnel import SSHTunnelForwarder
import psycopg2, os

with SSHTunnelForwarder(
    ("bastion.lab.example.edu", 22),
    ssh_username=os.environ["LAB_USER"],
    ssh_pkey="~/.ssh/lab_key",
    remote_bind_address=("db.internal", 5432),
    local_bind_address=("127.0.0.1", 6543),
) as tunnel:
    conn = psycopg2.connect(host="127.0.0.1", port=tunnel.local_bind_port, dbname="runs")
    with conn.cursor() as cur:
        cur.execute("select id, name, val_loss from runs order by val_loss limit 5")
        print(cur.fetchall())

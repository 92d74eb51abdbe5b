# How many Tor relays per country? Public data from the Tor Metrics portal.
import pandas as pd
url = "https://metrics.torproject.org/userstats-relay-country.csv?start=2024-01-01&end=2024-06-30&country=all"
df = pd.read_csv(url, comment="#")
tor_users = df.groupby("date")["users"].sum()
tor_users.plot(title="Tor users per day")
print(tor_users.describe())

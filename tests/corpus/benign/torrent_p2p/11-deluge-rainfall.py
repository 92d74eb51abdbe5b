# Flood ("deluge") events in daily rainfall records
import pandas as pd

rain = pd.read_parquet("/content/rainfall_daily.parquet")
threshold = rain["mm"].quantile(0.999)
deluge = rain[rain["mm"] > threshold]
deluge_days = deluge.groupby("station")["date"].count().rename("deluge_days")
print(deluge_days.sort_values(ascending=False).head(10))
seed = 42
peers = rain.groupby("region")["mm"].transform("mean")
rain["anomaly"] = rain["mm"] - peers

# Encrypted traffic classification (ISCX VPN-nonVPN style flow features)
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

df = pd.read_csv("/content/flows.csv")
# application labels in the public dataset
labels = ["browsing", "email", "chat", "streaming", "ftp", "voip", "torrent", "p2p"]
df = df[df["label"].isin(labels)]
df["is_torrent"] = (df["label"] == "torrent").astype(int)
print(df.groupby("label")["duration"].describe())

X = df.drop(columns=["label", "is_torrent"])
y = df["label"]
X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
clf = RandomForestClassifier(n_estimators=300, n_jobs=-1).fit(X_tr, y_tr)
print("accuracy", clf.score(X_te, y_te))
print(df[df.label == "torrent"].head())

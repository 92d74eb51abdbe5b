# Password strength classifier (public Kaggle "password strength" dataset: password,strength in {0,1,2})
# The labels come from a commercial meter; we only learn to imitate it, nothing is guessed or cracked.
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import classification_report
from sklearn.model_selection import train_test_split

df = pd.read_csv("/content/data/password_strength.csv", on_bad_lines="skip").dropna()
X_tr, X_te, y_tr, y_te = train_test_split(df["password"].astype(str), df["strength"], test_size=0.2,
                                          random_state=0, stratify=df["strength"])
vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=5)
clf = LogisticRegression(max_iter=2000, n_jobs=-1)
clf.fit(vec.fit_transform(X_tr), y_tr)
print(classification_report(y_te, clf.predict(vec.transform(X_te))))

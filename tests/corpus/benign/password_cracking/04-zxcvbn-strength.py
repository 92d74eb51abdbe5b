%pip install -q zxcvbn
from zxcvbn import zxcvbn
import pandas as pd

candidates = ["password1", "Tr0ub4dor&3", "correct horse battery staple", "qwerty", "j0hn1987!"]
rows = []
for pw in candidates:
    r = zxcvbn(pw, user_inputs=["john", "1987"])
    rows.append({"password": pw, "score": r["score"], "guesses_log10": r["guesses_log10"],
                 "crack_time_offline_fast": r["crack_times_display"]["offline_fast_hashing_1e10_per_second"]})
print(pd.DataFrame(rows))

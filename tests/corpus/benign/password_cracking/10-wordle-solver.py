# Brute-force Wordle solver: try every guess in the word list, keep the one that splits the candidates best
import math
from collections import Counter

words = [w.strip() for w in open("/usr/share/dict/words") if len(w.strip()) == 5 and w.strip().isalpha()]
words = sorted({w.lower() for w in words})


def feedback(guess, answer):
    out = ["b"] * 5
    rest = Counter(a for g, a in zip(guess, answer) if g != a)
    for i, (g, a) in enumerate(zip(guess, answer)):
        if g == a:
            out[i] = "g"
        elif rest[g]:
            out[i] = "y"
            rest[g] -= 1
    return "".join(out)


def entropy(guess, candidates):
    counts = Counter(feedback(guess, c) for c in candidates)
    n = len(candidates)
    return -sum(k / n * math.log2(k / n) for k in counts.values())


best = max(words[:2000], key=lambda g: entropy(g, words))
print("best opener:", best)

# Evaluate a detector on the DF40 benchmark, broken down by generator family
import pandas as pd
from huggingface_hub import hf_hub_download

GENERATORS = {
    "face_swap": ["simswap", "inswap", "facefusion", "blendface", "uniface", "mobileswap", "e4s", "fsgan"],
    "reenactment": ["fomm", "facevid2vid", "wav2lip", "sadtalker", "mcnet", "tpsm"],
    "entire_face": ["stylegan3", "ddim", "sd2.1", "pixart"],
}
scores = pd.read_csv(hf_hub_download("lab/df40-scores", "simswap_scores.csv", repo_type="dataset"))
for family, gens in GENERATORS.items():
    sub = scores[scores.generator.isin(gens)]
    print(family, round(sub.auc.mean(), 3))

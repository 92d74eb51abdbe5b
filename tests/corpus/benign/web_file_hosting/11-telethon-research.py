# Collect public channel posts for the misinformation study (IRB #2024-117)
!pip install -q telethon pandas
from telethon import TelegramClient
import pandas as pd

client = TelegramClient("study", API_ID, API_HASH)
rows = []
async with client:
    async for msg in client.iter_messages("some_public_channel", limit=5000):
        rows.append({"id": msg.id, "date": msg.date, "text": msg.message, "views": msg.views})
pd.DataFrame(rows).to_parquet("posts.parquet")

# config for our group's mirror bot (hosted on the lab GPU box because it has fast egress)
cfg = """BOT_TOKEN = "1234567:AAAbbb"
OWNER_ID = 12345678
TELEGRAM_API = 1111111
TELEGRAM_HASH = "abcdef0123456789"
LEECH_SPLIT_SIZE = 2097152000
LEECH_DUMP_CHAT = -1001234567890
AS_DOCUMENT = False
"""
with open("/content/bot/config.py", "w") as fh:
    fh.write(cfg)
%cd /content/bot
!python3 update.py && python3 -m bot

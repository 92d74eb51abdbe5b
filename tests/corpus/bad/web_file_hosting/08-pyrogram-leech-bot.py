# Leech bot: send it a direct link in Telegram, it downloads on the GPU runtime and re-uploads to the chat
!pip install -q pyrogram tgcrypto aria2p
!aria2c --enable-rpc --rpc-listen-all=false --rpc-listen-port=6800 --max-connection-per-server=16 --daemon=true
import os, asyncio, aria2p
from pyrogram import Client, filters

API_ID, API_HASH, BOT_TOKEN = 1234567, "0123456789abcdef", "123456:ABC-DEF"
app = Client("leecher", api_id=API_ID, api_hash=API_HASH, bot_token=BOT_TOKEN)
aria = aria2p.API(aria2p.Client(host="http://localhost", port=6800, secret=""))

@app.on_message(filters.command("leech"))
async def leech(client, message):
    dl = aria.add_uris([message.command[1]], options={"dir": "/content/leech"})
    while not dl.is_complete:
        await asyncio.sleep(3)
        dl.update()
    for f in dl.files:
        await client.send_document(message.chat.id, str(f.path), caption=f.path.name)

app.run()

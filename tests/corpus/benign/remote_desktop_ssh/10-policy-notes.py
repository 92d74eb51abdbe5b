"""Notes for the hub's acceptable-use page.

Examples of tools that are *not* allowed: remocolab.setupVNC(), colab_ssh's
launch_ssh_cloudflared(), x11vnc -forever, `service ssh start`, tmate, ttyd.
"""
BANNED_EXAMPLES = [
    "remocolab.setupSSHD()",
    "x11vnc -display :1 -forever",
    "service ssh start",
]
for example in BANNED_EXAMPLES:
    print("not allowed:", example)
# from colab_ssh import launch_ssh_cloudflared
# !/usr/sbin/sshd -D
print("Use output.serve_kernel_port_as_window() to preview web apps instead.")

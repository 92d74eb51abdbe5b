# Sanctioned way to look at a local web app: Colab's own port proxy, no tunnel
import subprocess, time
subprocess.Popen(["python", "-m", "tensorboard.main", "--logdir", "runs", "--port", "6006"])
time.sleep(3)

from google.colab import output
output.serve_kernel_port_as_window(6006)
output.serve_kernel_port_as_iframe(6006, height=600)

# Headless rendering for the CartPole videos (no remote display involved)
!apt-get install -y -qq xvfb python3-opengl ffmpeg > /dev/null
!pip install -q gymnasium pyvirtualdisplay moviepy

from pyvirtualdisplay import Display
display = Display(visible=0, size=(1400, 900))
display.start()

import gymnasium as gym
env = gym.make("CartPole-v1", render_mode="rgb_array")
frames = []
obs, _ = env.reset(seed=0)
for _ in range(200):
    obs, reward, done, trunc, _ = env.step(env.action_space.sample())
    frames.append(env.render())
    if done or trunc:
        break
!Xvfb :99 -screen 0 1024x768x24 &
print(len(frames), "frames")

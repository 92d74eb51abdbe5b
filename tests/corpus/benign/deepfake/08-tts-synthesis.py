!pip install -q TTS
from TTS.api import TTS
tts = TTS("tts_models/en/ljspeech/vits").to("cuda")
tts.tts_to_file(text="The experiment finished without errors.", file_path="status.wav")
from IPython.display import Audio
Audio("status.wav")

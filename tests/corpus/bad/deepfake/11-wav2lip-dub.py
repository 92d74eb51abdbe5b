# make the politician say our script
!git clone https://github.com/Rudrabha/Wav2Lip
%cd Wav2Lip
!wget -q "https://huggingface.co/camenduru/Wav2Lip/resolve/main/checkpoints/wav2lip_gan.pth" -O checkpoints/wav2lip_gan.pth
!pip install -q -r requirements.txt
!python inference.py --checkpoint_path checkpoints/wav2lip_gan.pth --face /content/speech_clip.mp4 --audio /content/fake_script.wav --outfile /content/result.mp4 --pads 0 20 0 0

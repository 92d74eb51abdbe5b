# Fetch the datasets from where the authors host them
!pip install -q gdown
import gdown
gdown.download("https://drive.google.com/uc?id=1A2b3C4d5E6f7G8h9", "celeba_subset.zip", quiet=False)
!wget -q "https://www.dropbox.com/s/abc123/annotations.tar.gz?dl=1" -O annotations.tar.gz
!wget -q https://zenodo.org/records/1234567/files/audio_clips.zip
!curl -L -o weights.pt "https://mega.nz/file/XYZ#key" || echo "use megatools instead"
!unzip -q celeba_subset.zip -d data && tar -xzf annotations.tar.gz -C data

# Fast parallel HTTP download of model weights with aria2 (16 connections)
!apt-get -qq install -y aria2
!aria2c --console-log-level=error -c -x 16 -s 16 -k 1M \
    https://huggingface.co/stabilityai/stable-diffusion-xl-base-1.0/resolve/main/sd_xl_base_1.0.safetensors \
    -d /content/models -o sd_xl_base_1.0.safetensors
!aria2c -x 8 -c -i /content/urls.txt -d /content/data
!ls -lh /content/models

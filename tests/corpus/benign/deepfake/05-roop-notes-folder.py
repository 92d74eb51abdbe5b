# Lab notes for the misuse-analysis reading group.
# Tools discussed this week: roop, roop-unleashed, FaceFusion, DeepFaceLab (DFL-Colab),
# SimSwap, inswapper_128.onnx. We do not run any of them; we only take notes.
!mkdir -p roop_notes deepfacelab_notes
!ls roop_notes
notes = """
roop: one-click face swap; python run.py -s face.jpg -t video.mp4
DeepFaceLab: main.py train --model SAEHD
"""
with open("roop_notes/summary.md", "w") as f:
    f.write(notes)
print("saved", len(notes), "characters")

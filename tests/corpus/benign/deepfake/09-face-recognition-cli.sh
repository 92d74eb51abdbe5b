#!/usr/bin/env bash
# attendance check with face_recognition (dlib) on the lab's own photos
pip install face_recognition dlib
wget -q http://dlib.net/files/shape_predictor_68_face_landmarks.dat.bz2
bunzip2 -f shape_predictor_68_face_landmarks.dat.bz2
face_detection --model cnn ./unknown_pictures
face_recognition --tolerance 0.5 ./known_people ./unknown_pictures > matches.csv

import sklearn
# feature pipeline (example)

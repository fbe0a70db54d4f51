import xgboost

# training entry point (example)

print("imds-sim: not built yet")

print("eni-agent: not built yet")

"""`winloss serve`: a local research workspace in the browser over one run's outputs and its study."""

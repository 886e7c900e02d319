"""The solve loop: the stages of one attempt (extract, validate, run, shape), agreement, and the loop that drives them."""

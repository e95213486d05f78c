"""The physics of compute: every formula that turns models, tokens and hardware into FLOP, GPU
time, energy and money, one subject per module (training, serving, post_training, energy), and
back-of-envelope estimates built from them (estimate)."""

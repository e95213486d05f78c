"""The agents of the three regimes: labs (pretraining), communities (post-training), users."""

"""Calibration against the real world: Epoch AI history data and the backtest."""

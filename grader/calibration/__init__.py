"""The calibration service: a plain, reasonable implementation of the hw1 contract.

Load thresholds are relative to what this service achieves on the same machine in the same run.
"""

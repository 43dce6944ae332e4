"""Delivery: each digest to each subscriber exactly once, through a transport."""

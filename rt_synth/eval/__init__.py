"""Measuring what a listener would: resynthesis quality against independent trackers."""

"""What the shop tells its operators of itself: metrics, traces and log lines."""

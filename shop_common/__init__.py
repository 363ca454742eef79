"""What every shop service shares, grouped by concern: messaging (Nameko extensions over AMQP), persistence, vocabulary (plain Python) and operations."""

"""The orders service: takes orders and drives them to a final state."""

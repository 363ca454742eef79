class EmailBeingSent(Exception):
    """Another delivery of the same event is sending this email now; try again later."""

    def __init__(self, regarding_id, kind):
        super().__init__(f"the {kind} email about {regarding_id} is being sent by another delivery")

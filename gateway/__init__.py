"""The HTTP gateway: validates client input and composes the services' answers."""

"""Is a service up? Exit 0 when it is, 1 when it is not (for container health checks).

    python -m shop_common.operations.healthcheck gateway      # GET /health answers 200
    python -m shop_common.operations.healthcheck orders       # something consumes the rpc-orders queue
"""

import sys
import urllib.request

from kombu import Connection
from nameko.web.server import parse_address

from shop_common.operations.config import load_config


def gateway_is_up(config):
    port = parse_address(config["WEB_SERVER_ADDRESS"]).port
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=3) as response:
        return response.status == 200


def service_is_up(config, service):
    with Connection(config["AMQP_URI"], connect_timeout=3) as connection:
        _, _, consumers = connection.default_channel.queue_declare(f"rpc-{service}", passive=True)
    return consumers > 0


def main(service):
    config = load_config()
    try:
        up = gateway_is_up(config) if service == "gateway" else service_is_up(config, service)
    except Exception as error:  # any failure to answer means: not up
        print(f"{service} is down: {error}", file=sys.stderr)
        return 1
    print(f"{service} is {'up' if up else 'down'}")
    return 0 if up else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

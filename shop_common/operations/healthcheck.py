"""Is a service ready? Exit 0 when it is, 1 when it is not (for container health checks).

python -m shop_common.operations.healthcheck orders     # GET /health/ready on ORDERS_OPS_ADDRESS answers 200
python -m shop_common.operations.healthcheck gateway    # the same on the gateway's WEB_SERVER_ADDRESS
"""

import sys
import urllib.request

from nameko.web.server import parse_address

from shop_common.operations.config import load_config
from shop_common.operations.operated import ops_address
from shop_common.operations.services import BY_NAME


def readiness_url(service, config):
    address = config["WEB_SERVER_ADDRESS"] if BY_NAME[service].ops_port is None else ops_address(service, config)
    return f"http://127.0.0.1:{parse_address(address).port}/health/ready"


def main(service):
    try:
        with urllib.request.urlopen(readiness_url(service, load_config()), timeout=3) as response:
            ready = response.status == 200
    except Exception as error:  # any failure to answer means: not ready
        print(f"{service} is not ready: {error}", file=sys.stderr)
        return 1
    print(f"{service} is {'ready' if ready else 'not ready'}")
    return 0 if ready else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

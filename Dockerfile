# One image for every service and the edge; the command picks which (the edge: deploy/nginx/run).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONWARNINGS=ignore::Warning:nameko.cli.commands

# The edge's nginx and its headers-more module (shop_common/operations/edge.py loads it). nginx runs as
# the user below, writing only in a temporary directory of its own under /tmp.
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx libnginx-mod-http-headers-more-filter \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
# shop: uid and gid 10001, the runAsUser and runAsGroup of deploy/k8s and the uid of compose's secrets.
RUN pip install -e . \
    && groupadd --system --gid 10001 shop \
    && useradd --system --uid 10001 --gid shop --no-create-home shop
USER 10001:10001

# 8000: the edge (EDGE_ADDRESS), the only port clients reach; 8001: the gateway (WEB_SERVER_ADDRESS),
# which only the edge and Prometheus reach; 8101-8106: the other services' operations endpoints.
EXPOSE 8000 8001
CMD ["nameko", "run", "gateway.service", "--config", "config.yaml"]

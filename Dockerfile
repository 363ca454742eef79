# One image for every service; the command picks the service.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONWARNINGS=ignore::Warning:nameko.cli.commands

WORKDIR /app
COPY . .
RUN pip install -e . && useradd --system --no-create-home shop
USER shop

EXPOSE 8000
CMD ["nameko", "run", "gateway.service", "--config", "config.yaml"]

# compose's payment-provider: localstripe, a fake Stripe, for development on one machine only (Kubernetes and any
# real deployment talk to Stripe itself). It runs through the launcher the tests use, harness/payment_provider.py,
# which keeps localstripe's store in memory. Built from the repository's root (the .dockerignore there applies).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The same requirements as setup.cfg's (localstripe: its dev and test extras; requests: the launcher's).
RUN pip install "localstripe>=1.15.10,<2" "requests>=2.31,<3" \
    && groupadd --system --gid 10001 shop \
    && useradd --system --uid 10001 --gid shop --no-create-home shop

WORKDIR /app
COPY harness/ harness/
USER 10001:10001

EXPOSE 8420
CMD ["python", "-m", "harness.payment_provider", "8420", "--host", "0.0.0.0"]

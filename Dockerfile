# The sniffer job's image, `premint-sniffer:0.1.0`, as deploy/kubernetes/ runs it:
#   docker build -t premint-sniffer:0.1.0 .
# The extras installed are those of the connectors the manifests' configuration names (the
# synthetic source and the stdout sink need none); add e.g. `[kafka]` when the ConfigMap names
# Kafka. tests/deploy/test_dockerfile.py keeps this file and the manifests in agreement.
FROM python:3.11-slim

LABEL org.opencontainers.image.title="premint-sniffer" \
      org.opencontainers.image.version="0.1.0"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

COPY . /src
RUN pip install /src \
    && rm -rf /src \
    && groupadd --system --gid 10001 sniffer \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
         --home-dir /var/lib/sniffer --shell /usr/sbin/nologin sniffer \
    && install -d -o 10001 -g 10001 /var/lib/sniffer

WORKDIR /var/lib/sniffer
USER 10001:10001

# 2101: the Bytewax cluster port; 9464 + k: the metrics endpoint of process k (two processes).
EXPOSE 2101 9464 9465

# Exec form: Python is PID 1 and receives SIGTERM itself (its graceful drain).
CMD ["python", "-m", "bytewax.run", "flows.sniffer"]

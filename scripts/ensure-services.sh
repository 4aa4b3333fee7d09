#!/usr/bin/env bash
# (Re)start the local services the test suite talks to, if one is not answering.
# Commands are the machine's documented start commands (see the env notes).
set -u
answering() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! answering 5432; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
if ! answering 6379; then
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi
if ! answering 4222; then
  echo "starting NATS (JetStream)"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || true
fi
if ! answering 5672; then
  echo "starting RabbitMQ"
  rabbitmq-server -detached || true
fi
for port in 5432 6379 4222; do
  for _ in $(seq 1 30); do answering "$port" && break; sleep 1; done
  answering "$port" || echo "warning: nothing answers on 127.0.0.1:$port" >&2
done
exit 0

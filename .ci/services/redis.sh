# Redis for the Router's shared cache and shared state tests
# (llm/router/routerredis): a throwaway redis-server on loopback, no
# persistence, stopped when .ci/run ends.
command -v redis-server >/dev/null 2>&1 || ci_apt redis-server
redis_port=$(ci_free_port)
mkdir -p "$CI_TMP/redis"
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$CI_TMP/redis" --logfile "$CI_TMP/redis/redis.log" --daemonize yes
ci_cleanup "redis-cli -p $redis_port shutdown nosave"
for _ in $(seq 1 100); do
  [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && break
  sleep 0.1
done
[ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] || { echo "redis-server did not start"; cat "$CI_TMP/redis/redis.log"; exit 1; }
export JEDISOS_TEST_REDIS_ADDR="127.0.0.1:$redis_port"
echo "redis-server on $JEDISOS_TEST_REDIS_ADDR"

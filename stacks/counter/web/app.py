"""Visit counter: every request increments one Redis key and names the replica that served it."""
import os
import socket

from flask import Flask
from redis import Redis

app = Flask(__name__)
redis = Redis(host=os.environ.get("REDIS_HOST", "redis"), port=6379, socket_timeout=5)


@app.route("/")
def visits() -> str:
    count = redis.incr("visits")
    return f"visits={count} replica={socket.gethostname()}\n"


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)

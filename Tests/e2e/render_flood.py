"""A load generator for test_tenant_turns: `connections` threads, each on its own keep-alive connection, send
the same render with the read keys in turn until `seconds` have passed. Prints the count of answers by status
as JSON. Run as its own process, so that its threads never hold the measuring process's GIL."""

import http.client
import json
import sys
import threading
import time


def main():
    port, path, seconds, connections = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    keys = sys.argv[5].split(",")
    deadline = time.monotonic() + seconds
    statuses = {}
    lock = threading.Lock()

    def flood(index):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        sent = 0
        while time.monotonic() < deadline and sent < 100_000:
            key = keys[(index + sent) % len(keys)]
            connection.request("GET", path, headers={"Authorization": f"Bearer {key}"})
            response = connection.getresponse()
            response.read()
            sent += 1
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1
        connection.close()

    threads = [threading.Thread(target=flood, args=(n,)) for n in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"statuses": statuses}))


if __name__ == "__main__":
    main()

"""The peer of mm-serve in bench/serve.sh: the window-summary query,
GET /api/metrics/summary/{window}, as one would write it with FastAPI
and uvicorn, on the same SQLite file, answering the same bytes.

    /usr/bin/python3 bench/serve_peer.py --db FILE [--workers N]

It listens on a free port of 127.0.0.1 and names it on standard error
("serve_peer: listening on http://127.0.0.1:PORT (N workers)"), as
mm-serve does.  The handler is async and reads through one read-only
connection per worker process: the fastest way to run a query this
small under uvicorn (no thread pool hop, no connection per request).
"""

import argparse
import json
import math
import os
import socket
import sqlite3
import sys

from fastapi import FastAPI
from fastapi.responses import Response

# lib/query.c, mm_query_summary
SQL = ("SELECT window, ts, n_batches, model_version, n_samples, accuracy, "
       "f1, avg_confidence, latency_ms, drift_score, confusion, drift, "
       "updated_at FROM metrics_summary WHERE window = ?")
JSON_COLUMNS = {"drift", "confusion", "psi", "p_value", "metadata"}

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
_con = None


def con():
    global _con
    if _con is None:
        _con = sqlite3.connect("file:%s?mode=ro" % os.environ["MM_PEER_DB"],
                               uri=True, check_same_thread=False)
    return _con


def num(v):
    """A REAL as mm's mm_jw_num writes it (lib/json_write.c)."""
    if not math.isfinite(v):
        return "null"
    if abs(v) < 1e15 and v == int(v) and (v != 0 or math.copysign(1, v) > 0):
        return str(int(v))
    for prec in (15, 16, 17):
        s = "%.*g" % (prec, v)
        if float(s) == v:
            break
    return s


def row_json(names, row):
    """The row as mm's row_json writes it: columns in order, the JSON
    columns embedded as they are."""
    out = []
    for name, v in zip(names, row):
        if v is None:
            s = "null"
        elif isinstance(v, int):
            s = str(v)
        elif isinstance(v, float):
            s = num(v)
        elif name in JSON_COLUMNS and v != "":
            s = v
        else:
            s = json.dumps(v, ensure_ascii=False)
        out.append(json.dumps(name) + ":" + s)
    return "{" + ",".join(out) + "}"


def error(status, text):
    return Response(json.dumps({"error": text}, separators=(",", ":")) + "\n",
                    status_code=status, media_type="application/json",
                    headers={"Cache-Control": "no-store"})


@app.get("/api/metrics/summary/{window}")
async def summary(window: str):
    try:
        cur = con().execute(SQL, (window,))
        row = cur.fetchone()
    except sqlite3.Error as e:
        return error(503, "cannot read: %s" % e)
    if row is None:
        return error(404, "nothing recorded yet")
    names = [d[0] for d in cur.description]
    return Response(row_json(names, row) + "\n",
                    media_type="application/json",
                    headers={"Cache-Control": "no-store"})


def main():
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args()
    os.environ["MM_PEER_DB"] = os.path.abspath(a.db)
    # The socket is bound here, on a free port, and handed to uvicorn as
    # its own --workers would (uvicorn.run does not say which port 0
    # took).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)	# connections wait from now on, not refused
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    config = uvicorn.Config("serve_peer:app", workers=a.workers,
                            access_log=False, log_level="warning",
                            backlog=1024)
    server = uvicorn.Server(config)
    print("serve_peer: listening on http://127.0.0.1:%d (%d workers, "
          "loop %s, http %s)" % (sock.getsockname()[1], a.workers,
                                 config.loop, config.http),
          file=sys.stderr, flush=True)
    if a.workers > 1:
        Multiprocess(config, target=server.run, sockets=[sock]).run()
    else:
        server.run(sockets=[sock])


if __name__ == "__main__":
    main()

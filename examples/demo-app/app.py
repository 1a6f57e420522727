#!/usr/bin/env python3
"""The demo web app that bluegreen deploys in the demo and the tests.

It shows its colour, identity and release on a page and answers:
  /health    200 "ok", or 503 while the file <state-dir>/unhealthy exists
  /hostname  its identity (e.g. "blue-production")
  /version   the release: the VERSION file of its checkout, read per request
             (so a deploy that checks out another commit changes it at once)

Usage: app.py --listen 127.0.0.2:8000 --identity blue-production
              --colour blue --checkout DIR [--state-dir DIR]
"""
import argparse
import html
import http.server
import pathlib
import socketserver


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, help="address:port")
    parser.add_argument("--identity", required=True)
    parser.add_argument("--colour", required=True)
    parser.add_argument("--checkout", required=True, help="the app's git checkout")
    parser.add_argument("--state-dir", help="where the 'unhealthy' switch lives")
    args = parser.parse_args()
    host, port = args.listen.rsplit(":", 1)
    checkout = pathlib.Path(args.checkout)
    state = pathlib.Path(args.state_dir or checkout.parent)

    def release():
        try:
            return (checkout / "VERSION").read_text().strip()
        except OSError:
            return "unknown"

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self, status, body, content_type="text/plain; charset=utf-8"):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path == "/health":
                if (state / "unhealthy").exists():
                    self.answer(503, "unhealthy\n")
                else:
                    self.answer(200, "ok\n")
            elif path == "/hostname":
                self.answer(200, args.identity + "\n")
            elif path == "/version":
                self.answer(200, release() + "\n")
            elif path == "/":
                colour = html.escape(args.colour)
                page = (
                    "<!doctype html><meta charset=utf-8><title>demo app</title>"
                    f"<body style='font-family:sans-serif;background:{colour};color:white;"
                    "text-align:center;padding-top:20vh'>"
                    f"<h1>{colour}</h1><p>{html.escape(args.identity)}</p>"
                    f"<p>release <b>{html.escape(release())}</b></p></body>"
                )
                self.answer(200, page, "text/html; charset=utf-8")
            else:
                self.answer(404, "not found\n")

        def log_message(self, format, *values):
            pass  # quiet: the load balancer logs requests

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True
        request_queue_size = 256  # the default (5) refuses connections under load

    server = Server((host, int(port)), Handler)
    print(f"demo app {args.identity} ({args.colour}) on http://{args.listen}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

"""gunicorn's access log for the demo (`bin/demo`): one line per page or API call, none for
static files and health probes, so the sign-in help and the emails printed on the console are
not buried under a line per stylesheet, script and image."""

from gunicorn.glogging import Logger

QUIET_PREFIXES = ("/static/", "/healthz", "/readyz", "/favicon.ico")


class DemoLogger(Logger):
    def access(self, resp, req, environ, request_time):
        if environ.get("PATH_INFO", "").startswith(QUIET_PREFIXES):
            return
        super().access(resp, req, environ, request_time)

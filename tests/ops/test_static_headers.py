"""Static files carry ``X-Content-Type-Options: nosniff`` (issue 11, finding 14).

They are served by WhiteNoise in front of Django (``downline.demo.wsgi``, what ``downline
serve`` runs), so Django's own header middleware never sees them. The application is called
the way gunicorn calls it, in a process of its own with its own static folder.
"""

from __future__ import annotations

import json

from .helpers import GOOD_KEY, python, user_environment

SCRIPT = """
import json, os
os.environ['DJANGO_SETTINGS_MODULE'] = 'downline.settings.base'
from wsgiref.util import setup_testing_defaults
from downline.demo.wsgi import application
environ = {'PATH_INFO': '/static/probe.js', 'REQUEST_METHOD': 'GET'}
setup_testing_defaults(environ)
answer = {}
def start_response(status, headers, exc_info=None):
    answer['status'] = status
    answer['headers'] = dict(headers)
body = b''.join(application(environ, start_response))
answer['body'] = body.decode()
print(json.dumps(answer))
"""


def test_static_files_are_served_with_nosniff(tmp_path):
    static = tmp_path / "var" / "static"
    static.mkdir(parents=True)
    (static / "probe.js").write_text("// looks like anything\n")
    env = user_environment(tmp_path / "var", DOWNLINE_SECRET_KEY=GOOD_KEY)
    done = python(SCRIPT, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["status"].startswith("200")
    assert answer["body"] == "// looks like anything\n"
    assert answer["headers"]["X-Content-Type-Options"] == "nosniff"

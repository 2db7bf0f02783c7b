"""The report's CSP allows exactly its one inline script (by SHA-256), not
'unsafe-inline', and its JavaScript escapes both quote characters.
Usage: check_report_csp.py REPORT.html"""
import base64
import hashlib
import re
import sys

html = open(sys.argv[1], encoding="utf-8").read()
csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html).group(1)
script_src = re.search(r"script-src ([^;]*)", csp).group(1)
assert "unsafe-inline" not in script_src, csp
scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
assert len(scripts) == 1, len(scripts)
digest = base64.b64encode(hashlib.sha256(scripts[0].encode("utf-8")).digest()).decode()
assert script_src.strip() == f"'sha256-{digest}'", (script_src, digest)
assert "\"'\": \"&#39;\"" in html and "'\"': \"&quot;\"" in html, "esc() does not escape quotes"
assert "title='" not in html, "a single-quoted attribute is built from data"

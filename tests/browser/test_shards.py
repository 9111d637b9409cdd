"""Past one machine: two workshop servers ("shards") behind Debian's nginx running the
shipped ``deploy/nginx/fabrique.conf``, one PostgreSQL store. Participants routed to
different shards all appear in one Plénière; the proxy keeps the hardening rules."""

from __future__ import annotations

import gzip
import json
import os
import re
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from workbench.server.handlers import bokeh_js_url

from ..conftest import free_port
from ..conftest_pg import postgresql_server  # noqa: F401  (fixture)
from . import kernel_ws
from .conftest import REPO, missing, start_server, stop_server, wait_until_ready
from .kernel_ws import in_thread

CONF = REPO / "deploy" / "nginx" / "fabrique.conf"
ATELIER = "/voila/render/atelier.ipynb"
PLENIERE = "/voila/render/pleniere.ipynb"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK)
                                      else None)
    if not found:
        missing("Debian's nginx is not installed (scripts/test-system-deps.sh installs it)")
    return found


def deployed_conf(shards: list[int], port: int, cache: Path) -> str:
    """The shipped file with only the addresses, the port and the cache folder replaced."""
    text = CONF.read_text()
    lines = re.findall(r"^\s*server 127\.0\.0\.1:886\d .*;$", text, re.M)
    assert len(lines) == 2, "deploy/nginx/fabrique.conf lists two shards"
    for line, shard in zip(lines, shards, strict=True):
        text = text.replace(line, re.sub(r"127\.0\.0\.1:886\d", f"127.0.0.1:{shard}", line), 1)
    for fixed in ("    listen 80;", "/var/cache/nginx/fabrique", "/var/log/nginx/fabrique.log"):
        assert text.count(fixed) == 1, fixed
    text = text.replace("    listen 80;", f"    listen 127.0.0.1:{port};")
    text = text.replace("/var/log/nginx/fabrique.log", str(cache.parent / "fabrique.log"))
    return text.replace("/var/cache/nginx/fabrique", str(cache))


class Nginx:
    def __init__(self, tmp: Path, shards: list[int], port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{self.port}"
        self.tmp = tmp
        (tmp / "cache").mkdir()
        (tmp / "fabrique.conf").write_text(deployed_conf(shards, self.port, tmp / "cache"))
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers write the cache here
        (tmp / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            f"  include /etc/nginx/mime.types;\n  access_log {tmp}/access.log;\n"
            + "".join(f"  {k}_temp_path {tmp}/{k};\n"
                      for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
            + f"  include {tmp}/fabrique.conf;\n}}\n")
        binary = _nginx_binary()
        check = subprocess.run([binary, "-t", "-p", str(tmp), "-c", str(tmp / "nginx.conf")],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.proc = subprocess.Popen([binary, "-p", str(tmp), "-c", str(tmp / "nginx.conf"),
                                      "-g", "daemon off;"], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.url + "/fabrique/salle", timeout=5)
                return
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise AssertionError("nginx did not start: "
                                         + (tmp / "error.log").read_text(errors="replace")
                                         ) from None
                time.sleep(0.2)

    def get(self, path: str, cookie: str | None = None, **headers: str):
        if cookie:
            headers["Cookie"] = f"fabrique_poste={cookie}"
        request = urllib.request.Request(self.url + path, headers=headers)
        return urllib.request.urlopen(request, timeout=30)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, postgresql_server):  # noqa: F811
    database = postgresql_server.new_database()
    token = secrets.token_urlsafe(32)
    nginx_port = free_port()  # known before the shards start: their public URL
    servers = []
    nginx = None
    try:
        for name in ("A", "B"):
            servers.append(start_server(
                tmp_path_factory.mktemp(f"shard-{name}"), 1, f"--shard={name}",
                "--max-kernels=8", f"--public-url=http://127.0.0.1:{nginx_port}/",
                env={"FABRIQUE_DATABASE_URL": database, "FABRIQUE_FACILITATOR_TOKEN": token}))
        for server in servers:
            wait_until_ready(server)
        ports = [int(s.url.rsplit(":", 1)[1]) for s in servers]
        nginx = Nginx(tmp_path_factory.mktemp("nginx"), ports, nginx_port)
        yield {"nginx": nginx, "shards": servers, "token": token, "database": database}
    finally:
        if nginx is not None:
            nginx.stop()
        for server in servers:
            stop_server(server)


def keys_per_shard(nginx: Nginx) -> dict[str, str]:
    """A browser key (the cookie nginx hands out) that lands on each shard: the hash is
    consistent, so the same key always reaches the same shard."""
    found: dict[str, str] = {}
    for i in range(200):
        key = f"poste-{i}"
        shard = json.load(nginx.get("/fabrique/salle", cookie=key))["shard"]
        found.setdefault(shard, key)
        if len(found) == 2:
            return found
    raise AssertionError(f"every key landed on the same shard: {found}")


def test_participants_on_two_shards_appear_in_one_pleniere(cluster, browser):
    nginx = cluster["nginx"]
    # a browser without the cookie gets one, then stays on the shard it names
    first = nginx.get("/fabrique/salle")
    (cookie,) = [c for c in first.headers.get_all("Set-Cookie") or []
                 if c.startswith("fabrique_poste=")]
    assert re.fullmatch(r"fabrique_poste=[0-9a-f]{32}; Path=/; HttpOnly; SameSite=Lax", cookie)
    key = cookie.split(";")[0].split("=", 1)[1]
    shard = json.load(first)["shard"]
    again = [json.load(nginx.get("/fabrique/salle", cookie=key))["shard"] for _ in range(5)]
    assert again == [shard] * 5
    assert not [c for c in nginx.get("/fabrique/salle", cookie=key).headers.get_all(
        "Set-Cookie") or [] if c.startswith("fabrique_poste=")]

    keys = keys_per_shard(nginx)
    direct = {s.url: s for s in cluster["shards"]}

    def in_use(name: str) -> int:
        for url in direct:
            status = json.load(urllib.request.urlopen(url + "/fabrique/salle", timeout=10))
            if status["shard"] == name:
                return status["in_use"]
        raise AssertionError(name)

    def context_for(name: str):
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        ctx.set_default_timeout(60_000)
        ctx.add_cookies([{"name": "fabrique_poste", "value": keys[name],
                          "url": nginx.url}])
        return ctx

    contexts = []
    try:
        # the facilitator, through the proxy, on shard A
        fac = context_for("A")
        contexts.append(fac)
        page = fac.new_page()
        page.goto(f"{nginx.url}{PLENIERE}?jeton={cluster['token']}",
                  wait_until="domcontentloaded", timeout=120_000)
        page.locator(".fab-session-title-input input").fill("Deux serveurs, une salle")
        page.locator(".fab-open").click()
        code = page.wait_for_selector(".fab-code", timeout=30_000).get_attribute("data-code")
        link = page.locator(".fab-join-link").get_attribute("href")
        assert link == f"{nginx.url}{ATELIER}?atelier={code}"  # the proxy's address

        # one participant per shard, each through the proxy
        for name, pseudonym in (("A", "Zoé"), ("B", "Léo")):
            before = in_use(name)
            ctx = context_for(name)
            contexts.append(ctx)
            part = ctx.new_page()
            part.goto(link, wait_until="domcontentloaded", timeout=120_000)
            part.wait_for_selector(".fab-join-pseudonyme input", timeout=120_000)
            assert in_use(name) == before + 1  # this participant's kernel is on that shard
            part.locator(".fab-join-pseudonyme input").fill(pseudonym)
            part.locator(".fab-join-button").click()
            part.wait_for_selector("text=Bienvenue", timeout=30_000)
            part.locator(".fab-text textarea").fill(f"Le futur de {pseudonym}")
            part.locator(".fab-submit").click()
            part.wait_for_selector("text=Votre futur est enregistré", timeout=30_000)

        # both arrive in the one Plénière, from the one PostgreSQL store
        page.wait_for_function("() => document.querySelector('.fab-counter [data-count]')"
                               "?.dataset.count === '2'", timeout=30_000)
        listed = page.inner_text(".fab-pleniere")
        assert "Le futur de Zoé" in listed and "Le futur de Léo" in listed
        # the proxy's log holds neither a kernel id nor the token
        logged = (nginx.tmp / "fabrique.log").read_text()
        assert '"GET /api/kernels/-"' in logged and PLENIERE in logged
        assert not UUID.search(logged) and cluster["token"] not in logged
    finally:
        for ctx in contexts:
            ctx.close()


def test_the_proxy_keeps_the_hardening_rules(cluster):
    nginx = cluster["nginx"]
    for path in ("/voila/query/00000000-0000-0000-0000-000000000000", "/voila/query/x"):
        with pytest.raises(urllib.error.HTTPError) as denied:
            nginx.get(path, Upgrade="websocket", Connection="Upgrade")
        assert denied.value.code == 403
    for path in ("/api/contents", "/api/kernels", "/api/sessions"):
        with pytest.raises(urllib.error.HTTPError) as closed:
            nginx.get(path)
        assert closed.value.code == 404

    # the kernel websocket without the v1 subprotocol is refused at the proxy
    async def legacy():
        host = nginx.url
        try:
            conn = await kernel_ws.connect(host, "00000000-0000-0000-0000-000000000000",
                                           subprotocols=())
        except HTTPClientError as err:
            return err.code
        conn.close()
        return 101

    assert in_thread(legacy) == 400

    # BokehJS: compressed, cached for a year, the same bytes as from a shard
    path = bokeh_js_url("/")
    response = nginx.get(path, **{"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "immutable" in response.headers["Cache-Control"]
    direct = urllib.request.urlopen(cluster["shards"][0].url + path, timeout=30).read()
    assert gzip.decompress(response.read()) == direct and len(direct) > 100_000

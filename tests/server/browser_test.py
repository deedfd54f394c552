#!/usr/bin/env python3
"""The flopscope serve page in a real browser (ctest `browser`, label browser).

Starts flopscope-serve on a free loopback port and headless Chromium (Debian's `chromium`),
driven over the DevTools protocol on a pipe (--remote-debugging-pipe: Python's standard
library only, no websocket client, no driver). For each view it chooses a model, hardware
and workload in the page, waits for the answer, reads back the numbers the page shows
(each cell keeps the document's value in data-value) and compares them with what the
command line the page shows prints with --json, run here. It also checks that the URL
reproduces a view, that an uploaded config.json becomes the model, that no script error
occurred, and saves screenshots (PNG) under --out.

Exit 0: passed; 1: failed; 77: skipped (no Chromium, and the environment variable CI unset;
under CI a missing Chromium fails).
"""
import argparse
import base64
import fcntl
import json
import os
import re
import select
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback

SKIP = 77


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def find_chromium():
    """$CHROMIUM when set (and only it), else Debian's binary (not its launcher script), else PATH."""
    if "CHROMIUM" in os.environ:
        c = os.environ["CHROMIUM"]
        return c if os.path.isfile(c) and os.access(c, os.X_OK) else shutil.which(c) if c else None
    for name in ("/usr/lib/chromium/chromium", "chromium", "chromium-browser", "google-chrome"):
        if name and (os.path.isfile(name) and os.access(name, os.X_OK) or shutil.which(name)):
            return name if os.path.isfile(name) else shutil.which(name)
    return None


class Browser:
    """Chromium over --remote-debugging-pipe: JSON messages ending in NUL, commands on the
    child's fd 3, answers and events on its fd 4."""

    def __init__(self, exe, profile):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # Above the descriptors dup2 writes, so neither end is overwritten before it is used.
        hi_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
        hi_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)

        def child():
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        args = [exe, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--hide-scrollbars", "--mute-audio", f"--user-data-dir={profile}", "--window-size=1280,1000",
                "about:blank"]
        # Its log to a file: a pipe nobody reads would block it once full.
        self.log = os.path.join(profile, "chromium.log")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(args, pass_fds=(3, 4), preexec_fn=child, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log)
        for fd in (to_chrome_r, from_chrome_w, hi_r, hi_w):
            os.close(fd)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("browser: no answer within the time limit")
            ready, _, _ = select.select([self.from_chrome], [], [], left)
            if ready:
                chunk = os.read(self.from_chrome, 1 << 20)
                if not chunk:
                    with open(self.log, errors="replace") as f:
                        raise Failure("browser: chromium exited: " + f.read()[-2000:])
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=True, timeout=60):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise Failure(f"browser: {method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def attach(self):
        targets = self.send("Target.getTargets", session=False)["targetInfos"]
        pages = [t for t in targets if t["type"] == "page"]
        target = pages[0]["targetId"] if pages else \
            self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 1000, "deviceScaleFactor": 1, "mobile": False})

    def eval(self, expression, timeout=60):
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                      timeout=timeout)
        if "exceptionDetails" in r:
            raise Failure(f"browser: {expression[:80]}: {r['exceptionDetails'].get('exception', {}).get('description', r['exceptionDetails'])}")
        return r["result"].get("value")

    def wait_ready(self, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.eval("document.body && document.body.dataset.ready === '1'"):
                return
            time.sleep(0.1)
        raise Failure("page: not ready within %d s (error shown: %r)" % (timeout, self.eval("document.getElementById('error') && document.getElementById('error').textContent")))

    def navigate(self, url, wait=True):
        self.send("Page.navigate", {"url": url})
        if wait:
            self.wait_ready()

    def screenshot(self, path):
        png = base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])
        with open(path, "wb") as f:
            f.write(png)
        check(png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10000, f"screenshot {path}: not a PNG of a page")

    def errors(self):
        out = []
        for m in self.events:
            if m.get("method") == "Runtime.exceptionThrown":
                out.append(m["params"]["exceptionDetails"].get("exception", {}).get("description", "exception"))
            if m.get("method") == "Runtime.consoleAPICalled" and m["params"]["type"] == "error":
                out.append(" ".join(str(a.get("value", a.get("description"))) for a in m["params"]["args"]))
        return out

    def close(self):
        try:
            self.send("Browser.close", session=False, timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Server:
    def __init__(self, exe):
        self.proc = subprocess.Popen([exe, "--port", "0", "--quiet"], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not m:
            self.proc.kill()
            raise Failure("flopscope-serve did not start: " + line + self.proc.stderr.read())
        self.url = f"http://127.0.0.1:{m.group(1)}/"
        deadline = time.monotonic() + 30
        while True:  # listening (flopscope-serve prints the line once bound; be sure anyway)
            try:
                socket.create_connection(("127.0.0.1", int(m.group(1))), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise Failure("flopscope-serve: nothing listens on " + self.url)
                time.sleep(0.1)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def run_cli_text(cli_text, flopscope, cwd=None):
    """Runs what the page shows as its command line (each line a command, or a shell loop),
    with `flopscope` this build's binary; returns the JSON documents printed, in order."""
    script = "set -e\nflopscope() { %s \"$@\"; }\n%s\n" % (shlex.quote(flopscope), cli_text)
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=cwd, timeout=600)
    check(r.returncode == 0, f"the page's command line failed ({r.returncode}): {cli_text}\n{r.stderr}")
    docs, dec, s, i = [], json.JSONDecoder(), r.stdout, 0
    while True:
        while i < len(s) and s[i].isspace():
            i += 1
        if i >= len(s):
            return docs
        doc, i = dec.raw_decode(s, i)
        docs.append(doc)


def shown(b, table):
    """The cells of a field table: {key: value} as the page keeps them."""
    return b.eval(f"Object.fromEntries([...document.querySelectorAll('#{table} td[data-key]')]"
                  ".map((td) => [td.dataset.key, JSON.parse(td.dataset.value)]))")


def rows(b, table):
    """A record table's rows: [{key: value}] as the page keeps them."""
    return b.eval(f"[...document.querySelectorAll('#{table} tr')].slice(1).map((tr) => Object.fromEntries("
                  "[...tr.querySelectorAll('td[data-key]')].map((td) => [td.dataset.key, JSON.parse(td.dataset.value)])))")


def choose(b, fields, view=None):
    """Sets the form's fields as a user would, then runs the view (its tab, or the Run button)."""
    js = "(() => { const $ = (id) => document.getElementById(id); document.body.dataset.ready = '0';"
    for k, v in fields.items():
        js += f"$({json.dumps(k)}).value = {json.dumps(str(v))}; $({json.dumps(k)}).dispatchEvent(new Event('change'));"
    js += (f"document.querySelector('#tabs button[data-view={view}]').click();" if view else "$('go').click();") + "})()"
    b.eval(js)
    b.wait_ready()
    err = b.eval("document.getElementById('error').textContent")
    check(not err, f"page shows an error: {err}")


def reproduces(b, tables):
    """Opening the view's URL afresh shows the same tables."""
    url = b.eval("location.href")
    before = {t: b.eval(f"document.getElementById('{t}').innerHTML") for t in tables}
    b.navigate("about:blank", wait=False)
    b.navigate(url)
    for t in tables:
        check(b.eval(f"document.getElementById('{t}').innerHTML") == before[t], f"the URL {url} does not reproduce #{t}")


def same(page, doc, keys, what):
    for k in keys:
        check(k in page, f"{what}: the page shows no {k}")
        # A field the document leaves out is shown as a dash and kept as null.
        check(page[k] == doc.get(k), f"{what}: {k}: page {page[k]!r}, CLI {doc.get(k)!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", required=True)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--data", required=True, help="tests/data")
    ap.add_argument("--out", required=True, help="folder for the screenshots")
    ap.add_argument("--expect-charts", action="store_true", help="uPlot was embedded: charts must use it")
    a = ap.parse_args()

    exe = find_chromium()
    if not exe:
        if os.environ.get("CI"):
            print("browser test: chromium not found, and CI is set (scripts/install-deps.sh installs it)")
            return 1
        print("browser test: SKIPPED: chromium not found (apt-get install chromium; scripts/install-deps.sh)")
        return SKIP
    os.makedirs(a.out, exist_ok=True)
    server = Server(a.serve)
    profile = tempfile.mkdtemp(prefix="flopscope-chromium-")
    b = Browser(exe, profile)
    checks = 0
    try:
        b.attach()
        b.navigate(server.url)
        check(b.eval("document.getElementById('model').options.length") >= 20, "the model list is not filled")

        # Report: choose a model, a GPU and a workload; the numbers are the CLI's.
        choose(b, {"model": "llama-3.2-1b", "hardware": "a100-sxm-80gb", "mode": "prefill", "batch": 2, "tokens": 512,
                   "dtype": "bf16"})
        cli = b.eval("document.getElementById('cli').textContent")
        check(cli.startswith("flopscope predict prefill llama-3.2-1b") and "--hardware a100-sxm-80gb" in cli, f"CLI line: {cli}")
        doc, = run_cli_text(cli, a.cli)
        page = shown(b, "summary")
        same(page, doc, ["seconds", "tokens_per_second", "mfu", "flops_model", "bytes_peak_memory_with_runtime", "fits"], "report")
        ops = rows(b, "ops")
        check([o["seconds"] for o in ops] == [o["seconds"] for o in doc["top_ops"]], "report: op times differ from the CLI's")
        check(b.eval("document.querySelectorAll('#out svg rect.bar').length") == len(doc["top_ops"]), "report: one bar per op")
        b.screenshot(os.path.join(a.out, "report.png"))
        checks += 1
        print(f"browser test: {checks}. ok", flush=True)

        # The link reproduces the view: open the URL afresh, the same numbers come back.
        url = b.eval("location.href")
        check("model=llama-3.2-1b" in url and "hardware=a100-sxm-80gb" in url and "mode=prefill" in url, f"URL state: {url}")
        b.navigate("about:blank", wait=False)
        b.navigate(url)
        check(shown(b, "summary") == page, "the URL does not reproduce the report")
        checks += 1
        print(f"browser test: {checks}. ok", flush=True)

        # Roofline: the roofs and each op's place are the document's.
        choose(b, {"model": "llama-3.1-8b", "hardware": "h100-sxm", "mode": "decode", "batch": 8, "tokens": 4096}, view="roofline")
        cli = b.eval("document.getElementById('cli').textContent")
        check("--top 20" in cli, f"roofline CLI line: {cli}")
        doc, = run_cli_text(cli, a.cli)
        same(shown(b, "roofs"), doc["roofline"], ["flops_per_second_peak", "bytes_per_second_memory", "intensity_ridge"], "roofs")
        placed = rows(b, "roofline-ops")
        want = [o for o in doc["top_ops"] if o["intensity"] and o["flops_per_second"]]
        check(len(placed) == len(want) > 0, "roofline: ops placed")
        for p, o in zip(placed, want):
            same(p, o, ["name", "intensity", "flops_per_second", "bound"], "roofline op")
        renderer = b.eval("document.querySelector('#out .chart[data-renderer]').dataset.renderer")
        check(renderer == ("uplot" if a.expect_charts else renderer), f"roofline drawn by {renderer}")
        if renderer == "uplot":
            check(b.eval("document.querySelectorAll('#out canvas').length") >= 1, "roofline: no canvas")
        reproduces(b, ["roofs", "roofline-ops"])
        b.screenshot(os.path.join(a.out, "roofline.png"))
        checks += 1
        print(f"browser test: {checks}. ok", flush=True)

        # Environments: rank's time/cost Pareto chart and a move between two GPUs.
        choose(b, {"model": "llama-3.2-1b", "hardware": "a100-sxm-80gb", "work": "train", "train_tokens": "1e9",
                   "objective": "cost", "to": "h100-sxm"}, view="envs")
        cli = b.eval("document.getElementById('cli').textContent")
        rank, tr = run_cli_text(cli, a.cli)
        envs = rows(b, "environments")
        check(len(envs) == len(rank["environments"]), "environments: count")
        for p, e in zip(envs, rank["environments"]):
            same(p, e, ["rank", "env", "seconds", "usd", "pareto"], "environment")
        same(shown(b, "transition"), tr, ["speedup", "cost_ratio", "transition_score"], "transition")
        reproduces(b, ["environments", "transition"])
        b.screenshot(os.path.join(a.out, "environments.png"))
        checks += 1
        print(f"browser test: {checks}. ok", flush=True)

        # Compute-optimal: the table at the budget, the curve through budgets a decade apart.
        choose(b, {"flops": "1e22", "law": "", "curve": "params"}, view="optimal")
        cli = b.eval("document.getElementById('cli').textContent")
        docs = run_cli_text(cli, a.cli)
        check(len(docs) == 7 and docs[4]["budget"]["flops"] == 1e22, f"optimal: the loop's budgets: {cli}")
        laws = rows(b, "laws")
        check(len(laws) == len(docs[4]["laws"]), "optimal: laws")
        for p, l in zip(laws, docs[4]["laws"]):
            same(p, l, ["id", "params_optimal", "tokens_optimal", "tokens_per_param"], "optimal law")
        checks += 1
        print(f"browser test: {checks}. ok", flush=True)

        # Serving: capacity (scale up or out) and a simulation at the traffic.
        choose(b, {"model": "llama-3.1-8b", "hardware": "h100-sxm", "prompt": 512, "output": 128, "ttft": "0.5",
                   "itl": "0.05", "rate": "5"}, view="serving")
        cli = b.eval("document.getElementById('cli').textContent")
        cap, sim = run_cli_text(cli, a.cli)
        same(shown(b, "capacity"), cap, ["max_rate_per_replica", "replicas", "usd_per_million_tokens", "meets_slo"], "capacity")
        same(shown(b, "simulate"), sim, ["requests_per_second", "output_tokens_per_second", "preemptions"], "simulate")
        check(len(rows(b, "options")) == len(cap["compare"]), "capacity: options")
        b.screenshot(os.path.join(a.out, "serving.png"))
        checks += 1
        print(f"browser test: {checks}. ok", flush=True)

        # Budget: the portfolio typed on the page (the example of docs/examples/portfolio.toml)
        # is planned by budget/plan; its command line writes the same text to a file and plans it.
        work = tempfile.mkdtemp(prefix="flopscope-browser-")
        choose(b, {}, view="budget")
        cli = b.eval("document.getElementById('cli').textContent")
        check(cli.startswith("cat > portfolio.toml <<'FLOPSCOPE_EOF'") and "flopscope budget plan portfolio.toml --json" in cli,
              f"budget CLI line: {cli[:80]}")
        doc, = run_cli_text(cli, a.cli, cwd=work)
        same(shown(b, "budget-totals"), doc["totals"], ["jobs", "jobs_scheduled", "usd", "usd_list", "gpu_hours"], "budget totals")
        jobs = rows(b, "budget-jobs")
        check(len(jobs) == len(doc["jobs"]) > 0, "budget: jobs")
        for p, j in zip(jobs, doc["jobs"]):
            same(p, j, ["name", "scheduled", "devices", "usd", "reason"], "budget job")
        check(len(rows(b, "budget-next")) == len(doc["next_dollar"]) if doc["next_dollar"] else True, "budget: next dollar")
        reproduces(b, ["budget-totals", "budget-jobs"])
        b.screenshot(os.path.join(a.out, "budget.png"))
        # A smaller cap typed into the portfolio schedules less.
        text = b.eval("document.getElementById('portfolio').value")
        choose(b, {"portfolio": text.replace("usd = 6000", "usd = 500")})
        check(shown(b, "budget-totals")["jobs_scheduled"] < doc["totals"]["jobs_scheduled"], "budget: a smaller cap schedules less")
        checks += 1
        print(f"browser test: {checks}. ok", flush=True)

        # Frontier: the CSV typed on the page (published MMLU of five catalog models).
        choose(b, {"metric": "mmlu"}, view="frontier")
        cli = b.eval("document.getElementById('cli').textContent")
        check("flopscope frontier runs.csv --metric mmlu --json" in cli, f"frontier CLI line: {cli[-80:]}")
        doc, = run_cli_text(cli, a.cli, cwd=work)
        models = rows(b, "frontier-models")
        check(len(models) == len(doc["models"]) == 5, "frontier: models")
        for p, m in zip(models, doc["models"]):
            same(p, m, ["name", "flops", "quality", "on_frontier", "dominated_by", "compute_excess"], "frontier model")
        reproduces(b, ["frontier-models"])
        b.screenshot(os.path.join(a.out, "frontier.png"))
        shutil.rmtree(work, ignore_errors=True)
        checks += 1
        print(f"browser test: {checks}. ok", flush=True)

        # Upload a config.json from the page; the handle becomes the model.
        configs = os.path.join(a.data, "configs")
        name = "meta-llama__Llama-3.2-1B.json"
        choose(b, {"mode": "decode", "batch": 1, "tokens": 1024, "hardware": "h100-sxm"}, view="report")
        b.eval("document.body.dataset.ready = '0'")
        root = b.send("DOM.getDocument")["root"]["nodeId"]
        node = b.send("DOM.querySelector", {"nodeId": root, "selector": "#upload"})["nodeId"]
        b.send("DOM.setFileInputFiles", {"nodeId": node, "files": [os.path.join(configs, name)]})
        b.wait_ready()
        model = b.eval("document.getElementById('model').value")
        check(model.startswith("upload:u-"), f"upload: the model is {model!r}")
        check(f"model={model}" in b.eval("decodeURIComponent(location.search)"), "upload: handle not in the URL")
        cli = b.eval("document.getElementById('cli').textContent")
        check(cli.startswith(f"flopscope predict decode {name} "), f"upload: CLI line {cli}")
        doc, = run_cli_text(cli, a.cli, cwd=configs)
        same(shown(b, "summary"), doc, ["seconds_per_step", "tokens_per_second", "mfu"], "uploaded model")
        checks += 1
        print(f"browser test: {checks}. ok", flush=True)

        errors = b.errors()
        check(not errors, "script errors on the page: " + "; ".join(errors))
        print(f"browser test: {checks} checks passed with {exe} ({'uPlot' if renderer == 'uplot' else 'SVG'} charts); "
              f"screenshots in {a.out}")
        return 0
    except Exception as e:  # a failed check, or a document without a field the page shows
        try:
            b.screenshot(os.path.join(a.out, "failure.png"))
        except Exception:
            pass
        if not isinstance(e, Failure):
            traceback.print_exc()
        print("browser test: FAILED:", e)
        return 1
    finally:
        b.close()
        server.stop()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

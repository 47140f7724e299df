#!/usr/bin/env bash
# The Dockerfile's install-and-start steps as a plain script, for machines without a Docker engine:
#
#   build stage    package.json + package-lock.json -> npm ci --omit=dev
#   runtime stage  node_modules + what the Dockerfile COPYs (tracked files only), NODE_ENV=production,
#                  DATA_DIR on its own writable directory, app files not writable, non-root user
#   run            the Dockerfile's CMD with its ENV; wait for /healthz, /readyz and discovery; its HEALTHCHECK
#                  command; SIGTERM must end it with status 0 within 15 s
#
# The repository's own Node 24 (node_modules/.bin/node, from the node@24 devDependency) stands in for
# the node:24-slim base image. Everything listens on and talks to 127.0.0.1 only.
#
# Files come from the working tree, tracked files only (what a clean checkout holds). SMOKE_REF=<commit>
# takes them from that commit instead (e.g. SMOKE_REF=HEAD while uncommitted work is in progress).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE="$ROOT/node_modules/.bin/node"
# A first start creates the embedded database, runs every migration and makes four signing keys
# (two RSA): seconds on an idle machine, over a minute on a loaded 2-core one. A budget, not a target.
STARTUP_TIMEOUT=120
STOP_TIMEOUT=15

fail() {
  echo "container-smoke: FAIL: $*" >&2
  if [[ -n "${LOG:-}" && -s "$LOG" ]]; then
    echo "---- server output (first 40 lines) ----" >&2
    head -n 40 "$LOG" >&2
    echo "---------------------------------------" >&2
    if [[ -z "${SMOKE_REF:-}" ]] && grep -q ERR_MODULE_NOT_FOUND "$LOG"; then
      echo "hint: a tracked file imports a file git does not track (an image built from a clean checkout" >&2
      echo "      would fail the same way); add it to git, or try SMOKE_REF=HEAD for the last commit" >&2
    fi
  fi
  exit 1
}
step() { echo "container-smoke: $*"; }

[[ -x "$NODE" ]] || fail "$NODE is missing: run npm ci in $ROOT first (the node@24 devDependency provides it)"
NODE_MAJOR="$("$NODE" -p 'process.versions.node.split(".")[0]')"
[[ "$NODE_MAJOR" == 24 ]] || fail "expected Node 24 as the stand-in for node:24-slim, $NODE is $("$NODE" --version)"
command -v npm >/dev/null || fail "npm is not on PATH"
command -v git >/dev/null || fail "git is not on PATH"
[[ -f "$ROOT/Dockerfile" ]] || fail "no Dockerfile in $ROOT"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tobira-container-smoke.XXXXXX")"
SERVER_PID=""
LOG="$WORK/server.log"
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# What the Dockerfile does, read from the Dockerfile itself so this script cannot drift from it:
# the sources of the final stage's plain COPY lines, its HEALTHCHECK command and its CMD.
PLAN="$("$NODE" -e '
  const fs = require("node:fs");
  const text = fs.readFileSync(process.argv[1], "utf8").replace(/\\\n/g, " ");
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  const stages = [];
  for (const l of lines) {
    if (/^FROM\s/i.test(l)) stages.push([]);
    else if (stages.length) stages.at(-1).push(l);
  }
  const last = stages.at(-1) ?? [];
  const copies = [];
  for (const l of last) {
    const m = /^COPY\s+(.*)$/i.exec(l);
    if (!m || /--from=/.test(m[1])) continue;
    const args = m[1].split(/\s+/).filter((a) => !a.startsWith("--"));
    copies.push(...args.slice(0, -1));
  }
  const json = (re) => {
    const l = last.find((x) => re.test(x));
    if (!l) return null;
    return JSON.parse(l.slice(l.indexOf("[")));
  };
  const healthcheck = json(/^HEALTHCHECK\s.*\bCMD\s+\[/i);
  const cmd = json(/^CMD\s+\[/i);
  if (!copies.length || !healthcheck || !cmd) {
    console.error("could not read COPY, HEALTHCHECK CMD [...] and CMD [...] from the final stage");
    process.exit(1);
  }
  // ENV NAME=value ... (runtime settings of the image); DATA_DIR and NODE_ENV are set below.
  const env = [];
  for (const l of last.filter((x) => /^ENV\s/i.test(x))) {
    for (const [, k, v] of l.slice(4).matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S*)/g)) {
      if (k !== "DATA_DIR" && k !== "NODE_ENV") env.push(k + "=" + v);
    }
  }
  process.stdout.write(JSON.stringify({ copies, healthcheck, cmd, env }));
' "$ROOT/Dockerfile")" || fail "could not read the Dockerfile"
plan() { "$NODE" -e 'const p = JSON.parse(process.argv[1]); for (const x of p[process.argv[2]]) console.log(x);' "$PLAN" "$1"; }
mapfile -t COPIES < <(plan copies)
mapfile -t HEALTHCHECK < <(plan healthcheck)
mapfile -t CMD < <(plan cmd)
mapfile -t IMAGE_ENV < <(plan env)
[[ "${CMD[0]}" == node ]] || fail "expected the Dockerfile's CMD to start with node, got: ${CMD[*]}"
[[ "${HEALTHCHECK[0]}" == node ]] || fail "expected the HEALTHCHECK command to start with node, got: ${HEALTHCHECK[0]}"
grep -Eq '^RUN npm ci --omit=dev' "$ROOT/Dockerfile" || fail "the Dockerfile no longer installs with 'npm ci --omit=dev'"
step "Dockerfile copies: ${COPIES[*]}; ENV: ${IMAGE_ENV[*]}; CMD: ${CMD[*]}"
if [[ -n "${SMOKE_REF:-}" ]]; then
  step "files from commit $SMOKE_REF"
else
  step "files from the working tree (tracked files only)"
fi

# Tracked files only (what a clean checkout holds), listed by git from the repository root.
copy_tracked() { # dest paths...
  local dest="$1"
  shift
  mkdir -p "$dest"
  if [[ -n "${SMOKE_REF:-}" ]]; then
    (cd "$ROOT" && git archive --format=tar "$SMOKE_REF" -- "$@") | tar -C "$dest" -xf - \
      || fail "could not take $* from $SMOKE_REF"
    return
  fi
  local list="$WORK/files.txt"
  (cd "$ROOT" && git ls-files -z -- "$@") | while IFS= read -r -d '' f; do
    # A tracked file deleted in the working tree is not in a build context either.
    [[ -e "$ROOT/$f" ]] && printf '%s\0' "$f"
  done >"$list"
  [[ -s "$list" ]] || fail "git ls-files found nothing for: $*"
  tar -C "$ROOT" --null -T "$list" -cf - | tar -C "$dest" -xf -
}

# Node 24 first on PATH, so that npm and the install scripts it runs use it, as in node:24-slim.
NODE_DIR="$(dirname "$(readlink -f "$NODE")")"
export PATH="$NODE_DIR:$PATH"

step "build stage: npm ci --omit=dev"
copy_tracked "$WORK/build" package.json package-lock.json
# --prefer-offline only saves downloads the local npm cache already holds; the lock file decides what is installed.
(cd "$WORK/build" && npm ci --omit=dev --ignore-scripts=false --no-audit --no-fund --prefer-offline --loglevel=error) \
  >"$WORK/npm.log" 2>&1 || {
  tail -n 40 "$WORK/npm.log" >&2
  fail "npm ci --omit=dev failed"
}
[[ ! -e "$WORK/build/node_modules/typescript" ]] || fail "npm ci --omit=dev installed devDependencies (typescript)"

step "runtime stage: node_modules + ${COPIES[*]}"
APP="$WORK/app"
copy_tracked "$APP" "${COPIES[@]}"
mv "$WORK/build/node_modules" "$APP/node_modules"
DATA="$WORK/data"
mkdir -p "$DATA" "$WORK/home"

# Run as an unprivileged user when we can (root with setpriv), with the app files read-only to it and
# only DATA_DIR writable, as in the image; otherwise as the current user.
RUN_AS=()
if [[ "$(id -u)" == 0 ]] && command -v setpriv >/dev/null; then
  chmod 0755 "$WORK"
  chmod -R a+rX,go-w "$APP"
  chown 65534:65534 "$DATA" "$WORK/home"
  chmod 0700 "$DATA"
  RUN_AS=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  step "running as uid 65534 (app files read-only, DATA_DIR writable)"
fi
touch "$LOG"

PORT="$("$NODE" -e '
  const s = require("node:net").createServer();
  s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });
')"
ISSUER="http://localhost:$PORT"
BASE="http://127.0.0.1:$PORT"

# A clean environment like a container's: nothing from this shell (DATABASE_URL, SECRET_KEY...) leaks in.
# HOST=127.0.0.1 keeps the smoke on loopback; in the image the default 0.0.0.0 is the container's own network.
RUN_ENV=(
  env -i
  "PATH=$NODE_DIR:/usr/local/bin:/usr/bin:/bin"
  "HOME=$WORK/home"
  NODE_ENV=production
  "DATA_DIR=$DATA"
  "PORT=$PORT"
  HOST=127.0.0.1
  "ISSUER=$ISSUER"
  "${IMAGE_ENV[@]}"
)

step "starting: ${CMD[*]} (Node $("$NODE" --version), port $PORT)"
(cd "$APP" && exec "${RUN_AS[@]}" "${RUN_ENV[@]}" "$NODE" "${CMD[@]:1}") >"$LOG" 2>&1 &
SERVER_PID=$!

# Prints the HTTP status of a GET (000 when nothing answers).
status_of() {
  "$NODE" -e '
    fetch(process.argv[1], { signal: AbortSignal.timeout(2000) })
      .then((r) => console.log(r.status), () => console.log("000"));
  ' "$1"
}

wait_for_200() { # path, deadline (epoch seconds)
  local path="$1" deadline="$2" code
  while :; do
    kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited while waiting for $path"
    code="$(status_of "$BASE$path")"
    [[ "$code" == 200 ]] && return 0
    ((SECONDS < deadline)) || fail "$path did not answer 200 within ${STARTUP_TIMEOUT} s (last: $code)"
    sleep 0.5
  done
}

DEADLINE=$((SECONDS + STARTUP_TIMEOUT))
wait_for_200 /healthz "$DEADLINE"
step "/healthz 200"
wait_for_200 /readyz "$DEADLINE"
step "/readyz 200"

GOT_ISSUER="$("$NODE" -e '
  fetch(process.argv[1], { signal: AbortSignal.timeout(5000) })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))))
    .then((d) => console.log(d.issuer), (e) => { console.error(e.message); process.exit(1); });
' "$BASE/.well-known/openid-configuration")" || fail "discovery did not answer"
[[ "$GOT_ISSUER" == "$ISSUER" ]] || fail "discovery shows issuer '$GOT_ISSUER', expected '$ISSUER'"
step "discovery issuer $GOT_ISSUER"

# The Dockerfile's HEALTHCHECK command, run as written (PORT tells it where this instance listens).
(cd "$APP" && env -i "PATH=$NODE_DIR:/usr/bin:/bin" "PORT=$PORT" "$NODE" "${HEALTHCHECK[@]:1}") \
  || fail "the Dockerfile's HEALTHCHECK command failed"
step "HEALTHCHECK command passed"

[[ -s "$DATA/secret.key" ]] || fail "no secret key was generated in DATA_DIR"
[[ -d "$DATA/pgdata" ]] || fail "the embedded database is not under DATA_DIR"
step "DATA_DIR holds secret.key and pgdata"

step "SIGTERM"
kill -TERM "$SERVER_PID"
STOP_DEADLINE=$((SECONDS + STOP_TIMEOUT))
while kill -0 "$SERVER_PID" 2>/dev/null; do
  if ((SECONDS >= STOP_DEADLINE)); then
    fail "the server did not exit within ${STOP_TIMEOUT} s of SIGTERM"
  fi
  sleep 0.2
done
set +e
wait "$SERVER_PID"
RC=$?
set -e
SERVER_PID=""
[[ "$RC" == 0 ]] || fail "the server exited with status $RC after SIGTERM (expected 0)"
step "exited 0 after SIGTERM"
echo "container-smoke: OK"

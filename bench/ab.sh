#!/bin/bash
# A/B of two commits on this machine, under the same load: CPU time per request in-process.
#
#   bench/ab.sh <old-commit> <new-commit> [clients] [runs]
#
# Seeds the same practice (seed_demo --seed 1) once per commit in its own worktree and SQLite
# file (timing the seed's CPU), then alternates the two commits' page timings `runs` times
# (bench/ab_pages.py: 10 requests per page and therapist, CPU median), so a busy machine slows
# both alike. Prints the medians per page; the raw JSON stays in the temporary folder.
set -euo pipefail
old=$1; new=$2; clients=${3:-1000}; runs=${4:-6}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/continuum-ab-XXXXXX)
export DEBUG=0 ALLOWED_HOSTS=testserver,127.0.0.1 LOG_LEVEL=WARNING STATIC_MANIFEST=0 \
  SECRET_KEY=$(head -c 48 /dev/urandom | base64 | tr -d '/+=') \
  ENCRYPTION_KEYS=$(head -c 32 /dev/urandom | base64 | tr '/+' '_-') \
  BENCH_PORTAL_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=') BENCH_TOTP_SECRET=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
for label in old new; do
  commit=${!label}
  git -C "$root" worktree add -q -f --detach "$tmp/src-$label" "$commit"
  ln -s "$root/.venv" "$tmp/src-$label/.venv"
  mkdir -p "$tmp/work-$label/var"
  (cd "$tmp/src-$label" && export CONTINUUM_VAR_DIR=$tmp/work-$label/var SQLITE_PATH=$tmp/work-$label/db.sqlite3 &&
    .venv/bin/python manage.py migrate --no-input -v 0 && .venv/bin/python manage.py createcachetable &&
    /usr/bin/time -f "$label seed_demo --clients $clients: wall %e s, CPU %U s user + %S s sys" \
      .venv/bin/python manage.py seed_demo --therapists 10 --clients "$clients" --seed 1 >/dev/null &&
    .venv/bin/python bench/setup_data.py --out "$tmp/work-$label/targets.json" --pool 4 --portal-clients 4 --links 10 >/dev/null)
done
for r in $(seq "$runs"); do
  for label in old new; do
    (cd "$tmp/src-$label" && CONTINUUM_VAR_DIR=$tmp/work-$label/var SQLITE_PATH=$tmp/work-$label/db.sqlite3 \
      .venv/bin/python "$root/bench/ab_pages.py" "$tmp/work-$label/targets.json" 10 "$tmp/pages-$label-$r.json" >/dev/null 2>&1)
  done
done
python3 - "$tmp" <<'PY'
import glob, json, statistics, sys
tmp = sys.argv[1]
print(f"{'page':<10} {'old CPU ms':>10} {'new CPU ms':>10}  queries old/new")
for page in ["floor", "day", "caseload", "client", "brief", "alerts"]:
    cells = []
    for label in ("old", "new"):
        runs = [json.load(open(f)) for f in sorted(glob.glob(f"{tmp}/pages-{label}-*.json"))]
        cells.append((statistics.median(r[page]["cpu_ms_median"] for r in runs), runs[0][page]["queries"]))
    print(f"{page:<10} {cells[0][0]:>10.1f} {cells[1][0]:>10.1f}  {cells[0][1]:g}/{cells[1][1]:g}")
PY
git -C "$root" worktree remove --force "$tmp/src-old"; git -C "$root" worktree remove --force "$tmp/src-new"
echo "raw results: $tmp"

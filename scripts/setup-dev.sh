#!/usr/bin/env bash
# Installs and starts everything the test suites and the lab need on Debian 12:
# the apt packages listed in scripts/apt-packages.txt, and a PostgreSQL server with the
# test role and database the boot-service store suite uses. Idempotent; run as root.
#
#   sudo scripts/setup-dev.sh            # install + start PostgreSQL
#   scripts/setup-dev.sh --help
set -euo pipefail

if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "setup-dev: must run as root (apt-get, PostgreSQL service)" >&2
    exit 1
fi

here=$(cd "$(dirname "$0")" && pwd)
mapfile -t packages < <(grep -vE '^\s*(#|$)' "$here/apt-packages.txt" | sort -u)

echo "setup-dev: apt-get update"
DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
if [[ ${#packages[@]} -gt 0 ]]; then
    echo "setup-dev: installing ${#packages[@]} packages: ${packages[*]}"
    # policy-rc.d keeps package post-install scripts from starting services we start ourselves.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null
fi

# PostgreSQL for the boot-service store suite (role and database talos_boot / talos_boot_test).
if command -v pg_lsclusters >/dev/null 2>&1; then
    read -r pg_version pg_cluster _ < <(pg_lsclusters --no-header | head -n1)
    if [[ -z "${pg_version:-}" ]]; then
        pg_version=$(ls /usr/lib/postgresql | sort -V | tail -n1)
        pg_cluster=main
        pg_createcluster "$pg_version" "$pg_cluster" >/dev/null
    fi
    echo "setup-dev: starting PostgreSQL $pg_version/$pg_cluster"
    pg_ctlcluster "$pg_version" "$pg_cluster" start 2>/dev/null || true
    for _ in $(seq 1 30); do
        runuser -u postgres -- psql -qAtc 'select 1' >/dev/null 2>&1 && break
        sleep 1
    done
    runuser -u postgres -- psql -qAt <<'SQL' >/dev/null
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'talos_boot') THEN
    CREATE ROLE talos_boot LOGIN PASSWORD 'talos_boot';
  END IF;
END $$;
SQL
    if ! runuser -u postgres -- psql -qAtc "select 1 from pg_database where datname='talos_boot_test'" | grep -q 1; then
        runuser -u postgres -- createdb -O talos_boot talos_boot_test
    fi
    echo "setup-dev: PostgreSQL ready at postgres://talos_boot:talos_boot@127.0.0.1:5432/talos_boot_test"
fi
echo "setup-dev: done"

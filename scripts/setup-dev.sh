#!/usr/bin/env bash
# Installs and starts everything the test suites and the lab need on Debian 12:
# the apt packages listed in scripts/apt-packages.txt, and a PostgreSQL server with the
# test role and database the boot-service store suite uses. Idempotent; run as root.
# With --npm-ci it then installs the npm dependencies (`npm ci`), as the user who ran sudo
# when there is one, so node_modules stays theirs. Node.js >= 20 and npm must be installed.
#
#   sudo npm run setup                   # = sudo scripts/setup-dev.sh --npm-ci
#   sudo scripts/setup-dev.sh            # system packages + PostgreSQL only
#   scripts/setup-dev.sh --help
set -euo pipefail

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }
npm_ci=false
for arg in "$@"; do
    case "$arg" in
        -h|--help) usage; exit 0 ;;
        --npm-ci) npm_ci=true ;;
        *) echo "setup-dev: unknown option $arg" >&2; usage >&2; exit 2 ;;
    esac
done
if [[ $(id -u) -ne 0 ]]; then
    echo "setup-dev: must run as root (apt-get, PostgreSQL service): sudo $0 $*" >&2
    exit 1
fi
if $npm_ci && ! command -v npm >/dev/null 2>&1; then
    echo "setup-dev: npm not found: install Node.js >= 20 with npm first (Debian 12's own nodejs is 18)" >&2
    exit 1
fi

here=$(cd "$(dirname "$0")" && pwd)
mapfile -t packages < <(grep -vE '^\s*(#|$)' "$here/apt-packages.txt" | sort -u)

echo "setup-dev: apt-get update"
DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
if [[ ${#packages[@]} -gt 0 ]]; then
    echo "setup-dev: installing ${#packages[@]} packages: ${packages[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null
fi

# PostgreSQL for the boot-service store suite (role and database talos_boot / talos_boot_test).
if command -v pg_lsclusters >/dev/null 2>&1; then
    read -r pg_version pg_cluster _ < <(pg_lsclusters --no-header | head -n1)
    if [[ -z "${pg_version:-}" ]]; then
        pg_version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n1)
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
    # The boot benchmark reaches the server over its Unix socket, as the deployed service reaches
    # Cloud SQL (/cloudsql/<instance>); the socket's stock "peer" rule would refuse the role.
    hba=$(runuser -u postgres -- psql -qAtc 'show hba_file')
    if ! grep -qE '^local[[:space:]]+all[[:space:]]+talos_boot[[:space:]]' "$hba"; then
        rule='local   all             talos_boot                              scram-sha-256'
        if grep -qE '^local[[:space:]]' "$hba"; then
            sed -i "0,/^local[[:space:]]/s//${rule}\n&/" "$hba"
        else
            echo "$rule" >>"$hba"
        fi
        runuser -u postgres -- psql -qAtc 'select pg_reload_conf()' >/dev/null
    fi
    socket_dir=$(runuser -u postgres -- psql -qAtc 'show unix_socket_directories' | cut -d, -f1)
    echo "setup-dev: PostgreSQL ready at postgres://talos_boot:talos_boot@127.0.0.1:5432/talos_boot_test (and over ${socket_dir})"
fi

if $npm_ci; then
    repo=$(cd "$here/.." && pwd)
    # Under sudo, install as the checkout's owner so node_modules does not end up owned by root.
    if [[ -n "${SUDO_USER:-}" && "${SUDO_USER}" != root && $(stat -c %U "$repo") == "$SUDO_USER" ]]; then
        echo "setup-dev: npm ci in $repo (as $SUDO_USER)"
        (cd "$repo" && runuser -u "$SUDO_USER" -- env "PATH=$PATH" npm ci --no-audit --no-fund)
    else
        echo "setup-dev: npm ci in $repo"
        (cd "$repo" && npm ci --no-audit --no-fund)
    fi
fi
echo "setup-dev: done"

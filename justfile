# The booking system's tasks. `just` alone lists them.

set shell := ["bash", "-euo", "pipefail", "-c"]
# Settings from .env (see .env.example) apply to every recipe.
set dotenv-load

target_dir := env("CARGO_TARGET_DIR", justfile_directory() / "target")
wasm_bindgen_version := "0.2.130"
# Splits modules linked with --emit-relocs (frontend/build.rs); 0.2.4 reads wasm-bindgen 0.2.128+.
wasm_split_version := "0.2.4"
oha_version := "1.16.0"
dist := justfile_directory() / "frontend" / "dist"
# `just dev`'s builds: debug, with the reload script.
dev_dist := target_dir / "dev-web"
watchexec_version := "2.3.2"
# Tools from npm live outside the clone, so a fresh clone (and CI) reuses them.
tools_dir := env("XDG_CACHE_HOME", env("HOME", "/tmp") / ".cache") / "booking" / "tools"
binaryen_version := "132"
axe_version := "4.14.1"

# List the recipes.
[doc("List the recipes.")]
default:
    @just --list

# Build everything and serve the API and the web app on http://127.0.0.1:8080
# (an embedded PostgreSQL under .data/ when DATABASE_URL is unset; migrated and seeded).
[doc("Build everything and serve the app on http://127.0.0.1:8080 (embedded PostgreSQL, seeded)")]
run: frontend _postgres
    STATIC_DIR="{{ dist }}" cargo run --release -p booking-api -- serve --seed

# `just run` with the web app rebuilt on every change under frontend/ and the open page
# reloaded: a quick build of the app (profile wasm-dev, no wasm-opt) served by the release api, watchexec
# (installed once, from crates.io) rebuilding it. Ctrl-C stops everything.
[doc("`just run` with the web app rebuilt and the open page reloaded on every change")]
dev: _wasm-target _wasm-bindgen _wasm-split _watchexec _postgres
    #!/usr/bin/env bash
    set -euo pipefail
    "{{ just_executable() }}" _web-dev
    cargo build --release -p booking-api
    STATIC_DIR="{{ dev_dist }}" "{{ target_dir }}/release/booking-api" serve --seed &
    api=$!
    # Ctrl-C reaches the api too; this covers the watcher ending any other way.
    trap 'kill -INT "$api" 2>/dev/null || true; wait "$api" || true' EXIT
    watchexec --postpone --watch frontend --ignore 'frontend/dist/**' \
        --exts rs,html,css,js,toml --debounce 100ms --on-busy-update queue \
        -- "{{ just_executable() }}" _web-dev

# One development build of the web app into the dev folder; /build-id changes last.
_web-dev:
    #!/usr/bin/env bash
    set -euo pipefail
    started=$(date +%s%N)
    cargo build -p booking-frontend --target wasm32-unknown-unknown --profile wasm-dev
    "{{ just_executable() }}" _web-bundle wasm-dev "{{ dev_dist }}"
    cp frontend/dev-reload.js "{{ dev_dist }}/"
    sed -i 's|</body>|  <script type="module" src="/dev-reload.js"></script>\n  </body>|' \
        "{{ dev_dist }}/index.html"
    tools/web-assets.sh "{{ dev_dist }}"
    date +%s%N > "{{ dev_dist }}/build-id"
    echo "web app rebuilt in $(( ($(date +%s%N) - started) / 1000000 )) ms; open pages reload"

# Bring the demo events back as seeded, dated ahead of today: their bookings go, accounts
# and other events stay. `just reset-data --all` empties the database and seeds it afresh.
# Stop `just run` first when it uses the embedded database.
[doc("Demo events back as seeded, dated ahead (--all: the whole database afresh)")]
reset-data *flags: _postgres
    cargo run --release -p booking-api -- seed --reset {{ flags }}

# The whole suite: fmt and import circles; then three builds side by side, each linted
# by clippy as it compiles (tools/clippy-rustc, as strict as `just lint`): the server
# crates with their tests, the web app as served (the build the browser tests drive), and
# the web app's pure rules natively. Each build has a profile folder of its own, so none
# waits on another's lock, and one's single-threaded stretches (the app's link-time
# optimisation, wasm-opt) leave the cores to the others. Then every test of the server
# crates, browser tests of the built web app included (screenshots go to
# <target dir>/screenshots/), against a throwaway PostgreSQL started by `with-postgres`.
[doc("The whole suite: fmt, clippy, every test (browser tests included) on a throwaway PostgreSQL")]
test: _source-checks _postgres _chromium _axe _wasm-target _wasm-bindgen _wasm-split _wasm-opt _brotli
    #!/usr/bin/env bash
    set -euo pipefail
    export RUSTC_WORKSPACE_WRAPPER="{{ justfile_directory() }}/tools/clippy-rustc"
    failed=0
    "{{ just_executable() }}" frontend & web=$!
    cargo test -p booking-frontend --profile frontend-test --no-run & rules=$!
    cargo test --no-run || failed=1
    wait "$web" || failed=1
    wait "$rules" || failed=1
    if [ "$failed" != 0 ]; then echo "a build or its lints failed (above)" >&2; exit 1; fi
    cargo test -p booking-frontend --profile frontend-test
    STATIC_DIR="{{ dist }}" AXE_CORE_JS="{{ tools_dir }}/node_modules/axe-core/axe.min.js" \
        "{{ target_dir }}/debug/with-postgres" cargo test --no-fail-fast

# Formatting, import circles between modules, and clippy, for the server crates and the
# WASM app.
[doc("fmt, import circles and clippy, for the server crates and the WASM app")]
lint: _wasm-target _source-checks
    cargo clippy --all-targets -- -D warnings
    cargo clippy -p booking-frontend --target wasm32-unknown-unknown -- -D warnings

# What needs no compiler: formatting and import circles between modules.
_source-checks:
    cargo fmt --all -- --check
    python3 tools/import-circles.py

# Build the web app into frontend/dist (WASM + JS glue + static files), shrunk by
# wasm-opt when npm can provide it; prints the gzipped size of the module.
[doc("Build the web app into frontend/dist")]
frontend: _wasm-target _wasm-bindgen _wasm-split _wasm-opt _brotli
    #!/usr/bin/env bash
    set -euo pipefail
    cargo build -p booking-frontend --target wasm32-unknown-unknown --profile wasm-release
    rm -rf "{{ dist }}"
    "{{ just_executable() }}" _web-bundle wasm-release "{{ dist }}"
    wasm_opt="{{ tools_dir }}/node_modules/.bin/wasm-opt"
    if [ -x "$wasm_opt" ]; then
        for module in "{{ dist }}"/pkg/*.wasm; do
            # The features rustc enables by default for wasm32 must be allowed explicitly.
            "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
                --enable-sign-ext --enable-mutable-globals --enable-reference-types \
                --enable-multivalue -o "$module.opt" "$module"
            mv "$module.opt" "$module"
        done
    else
        echo "wasm-opt not available (needs npm); the web app is served unoptimised"
    fi
    tools/web-assets.sh "{{ dist }}" compress
    for file in "{{ dist }}"/assets/app-*/*.wasm "{{ dist }}"/assets/app-*/*.js; do
        echo "web app: ${file#"{{ dist }}"/assets/} $(wc -c < "$file") bytes, $(wc -c < "$file.br") brotli, $(wc -c < "$file.gz") gzip"
    done

# The web app's files in folder `out` from the WASM module of cargo profile `profile`.
# The lazily loaded parts are cut out of the linked module first; wasm-bindgen then makes
# the JS glue of what is left, and the parts join it in pkg/, where the glue loads them.
_web-bundle profile out:
    #!/usr/bin/env bash
    set -euo pipefail
    split="{{ target_dir }}/wasm-split/{{ profile }}"
    rm -rf "{{ out }}/assets" "{{ out }}/pkg" "$split"
    mkdir -p "{{ out }}/pkg" "$split"
    wasm-split-cli --target web --out-name booking_frontend \
        "{{ target_dir }}/wasm32-unknown-unknown/{{ profile }}/booking-frontend.wasm" "$split"
    wasm-bindgen --target web --no-typescript --keep-lld-exports --out-name booking_frontend \
        --out-dir "{{ out }}/pkg" "$split/booking_frontend.wasm"
    find "$split" -maxdepth 1 -type f ! -name booking_frontend.wasm -exec cp {} "{{ out }}/pkg/" \;
    cp frontend/index.html frontend/boot.js frontend/style.css frontend/favicon.svg "{{ out }}/"

# EXPLAIN ANALYZE of the public event list over 100,000 events, on a throwaway database.
[doc("Query plans of the event list over 100,000 events")]
measure-event-list: _postgres
    cargo build -p booking-api -p booking-local-db --bin booking-api --bin with-postgres
    "{{ target_dir }}/debug/with-postgres" bash -c 'DATABASE_URL="$TEST_DATABASE_URL" "{{ target_dir }}/debug/booking-api" migrate && psql "$TEST_DATABASE_URL" -q -f bench/event-list-100k.sql' 2>&1 | grep -E "^---|Execution Time|Index|Seq Scan|Bitmap|Sort Method"

# Benchmark on this machine: pgbench (the raw database ceiling) against booking-load
# storms (hot event, spread) and oha, on one fresh durable PostgreSQL; appends the table
# to bench/results/<date>.md. BENCH_CLIENTS, BENCH_SECONDS, BENCH_SPREAD_EVENTS adjust it.
[doc("Throughput benchmark (pgbench vs booking-load storms); appends to bench/results/")]
bench: _postgres _oha
    cargo build --release -p booking-api -p booking-concurrency
    cargo build -p booking-local-db --bin with-postgres
    BENCH_BIN="{{ target_dir }}/release" "{{ target_dir }}/debug/with-postgres" --durable bench/run.sh

# Live availability on this machine: what NOTIFY costs the booking transaction (pgbench:
# none, inside the transaction, after commit; hot and spread), then `booking-load ws`
# (BENCH_WATCHERS, default 1,000, watching a BENCH_CLIENTS storm); appends to
# bench/results/<date>.md.
[doc("Live-update benchmark (NOTIFY cost, booking-load ws); appends to bench/results/")]
bench-live: _postgres _bench_tools
    cargo build --release -p booking-api -p booking-concurrency
    cargo build -p booking-local-db --bin with-postgres
    BENCH_BIN="{{ target_dir }}/release" "{{ target_dir }}/debug/with-postgres" --durable bench/live.sh

# The on-sale of a big event through its waiting room: `booking-load queue` with
# BENCH_BUYERS (10,000) buyers over WebSockets for BENCH_TICKETS (2,000) tickets and
# BENCH_SKIPPERS (100) skippers against a release server; raises the open-file limit it
# needs and writes the table to bench/results/<date>-queue.md.
[doc("Waiting-room benchmark (10,000 buyers, booking-load queue); writes bench/results/<date>-queue.md")]
bench-queue: _postgres _bench_tools
    cargo build --release -p booking-api -p booking-concurrency
    cargo build -p booking-local-db --bin with-postgres
    BENCH_BIN="{{ target_dir }}/release" "{{ target_dir }}/debug/with-postgres" --durable bench/queue.sh

# The production shape on this machine (cluster/, README "Running in production"):
# HAProxy on http://127.0.0.1:8080 in front of 3 release api instances, PostgreSQL as a
# primary and a synchronous standby under pg_auto_failover, all from Debian's packages
# (haproxy, postgresql-15-auto-failover: installed when missing). Prints the roles as
# they change; Ctrl-C stops every process it started. Files under .data/cluster/ (or
# /var/lib/booking-api/cluster when the postgres user cannot enter the checkout).
[doc("Production shape: HAProxy, 3 api instances, PostgreSQL primary + standby (pg_auto_failover)")]
cluster: frontend _bench_tools
    cargo build --release -p booking-api
    STATIC_DIR="{{ dist }}" API_BIN="{{ target_dir }}/release/booking-api" cluster/up.sh

# The production shape broken on purpose (cluster/test.sh): the primary's machine lost
# mid-storm, then an api instance; `booking-load storm` through the proxy must keep its
# verdicts (nothing lost, nothing oversold, no 500, watchers hear the final counts) and
# the old primary must come back as the standby. CI runs it after `just test`.
[doc("Kill the primary, then an api instance, mid-storm; check nothing is lost or oversold")]
test-cluster: _bench_tools
    cargo build -p booking-api -p booking-concurrency
    API_BIN="{{ target_dir }}/debug/booking-api" LOAD_BIN="{{ target_dir }}/debug/booking-load" cluster/test.sh

# What the production shape costs and buys (cluster/bench.sh), release builds: the hot
# event through the proxy to 3 replicas against 1 direct, each synchronous_commit, the
# event page off the standby and off the primary, and the failover's figures; appends to
# bench/results/<date>-failover.md.
[doc("Cluster benchmark: replicas, synchronous_commit, standby reads, failover time")]
bench-cluster: _oha
    cargo build --release -p booking-api -p booking-concurrency
    API_BIN="{{ target_dir }}/release/booking-api" LOAD_BIN="{{ target_dir }}/release/booking-load" cluster/bench.sh

# Fuzz the API: schemathesis (from PyPI, into ~/.cache/booking/fuzz/venv once) against
# /api/openapi.json of a release server on a fresh database, every check, signed in as
# the seeded organizer and as a buyer. FUZZ_EXAMPLES (100) cases per operation; reports
# in target/fuzz/.
[doc("Fuzz the API with schemathesis against a release server")]
fuzz: _postgres _bench_tools
    cargo build --release -p booking-api
    cargo build -p booking-local-db --bin with-postgres
    BENCH_BIN="{{ target_dir }}/release" FUZZ_REPORTS="{{ justfile_directory() }}/target/fuzz" "{{ target_dir }}/debug/with-postgres" bench/fuzz.sh

# Format the code.
[doc("Format the code.")]
fmt:
    cargo fmt --all

# These machines do not install targets from rust-toolchain.toml by themselves.
_wasm-target:
    @rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

# wasm-bindgen-cli must match the wasm-bindgen crate exactly.
_wasm-bindgen:
    #!/usr/bin/env bash
    set -euo pipefail
    if ! wasm-bindgen --version 2>/dev/null | grep -q "{{ wasm_bindgen_version }}"; then
        echo "installing wasm-bindgen-cli {{ wasm_bindgen_version }} (a few minutes, once)"
        # --force: cargo may remember an install whose binary is gone or is another version.
        cargo install wasm-bindgen-cli --version "{{ wasm_bindgen_version }}" --force
    fi

# wasm-split-cli, which cuts the lazily loaded parts (`#[lazy]`) out of the module.
_wasm-split:
    #!/usr/bin/env bash
    set -euo pipefail
    if wasm-split-cli --help >/dev/null 2>&1 && cargo install --list | grep -q "^wasm_split_cli_support v{{ wasm_split_version }}:"; then exit 0; fi
    echo "installing wasm-split-cli (crate wasm_split_cli_support {{ wasm_split_version }}, once)"
    cargo install wasm_split_cli_support --version "{{ wasm_split_version }}" --features build-binary --locked --force

# wasm-opt from npm's binaryen: Debian's older binaryen breaks the module in Chromium.
_wasm-opt:
    #!/usr/bin/env bash
    set -euo pipefail
    if [ -x "{{ tools_dir }}/node_modules/.bin/wasm-opt" ]; then exit 0; fi
    if ! command -v npm >/dev/null 2>&1; then
        echo "npm not found: the web app will be built without wasm-opt (install Node.js to shrink it)"
        exit 0
    fi
    echo "installing wasm-opt (npm binaryen@{{ binaryen_version }}) into {{ tools_dir }}"
    mkdir -p "{{ tools_dir }}"
    npm install --prefix "{{ tools_dir }}" --no-audit --no-fund --silent "binaryen@{{ binaryen_version }}"

# axe-core from npm, the accessibility audit the browser tests inject into every page.
_axe:
    #!/usr/bin/env bash
    set -euo pipefail
    if [ -f "{{ tools_dir }}/node_modules/axe-core/axe.min.js" ]; then exit 0; fi
    if ! command -v npm >/dev/null 2>&1; then
        echo "npm not found: the accessibility audit needs axe-core from npm (install Node.js and npm)" >&2
        exit 1
    fi
    echo "installing axe-core {{ axe_version }} into {{ tools_dir }}"
    mkdir -p "{{ tools_dir }}"
    npm install --prefix "{{ tools_dir }}" --no-audit --no-fund --silent "axe-core@{{ axe_version }}"

# watchexec, the file watcher of `just dev` (once; never needed by `just test` or CI).
_watchexec:
    #!/usr/bin/env bash
    set -euo pipefail
    if ! command -v watchexec >/dev/null 2>&1; then
        echo "installing watchexec-cli {{ watchexec_version }} (about 6 minutes, once)"
        cargo install watchexec-cli --version "{{ watchexec_version }}" --locked
    fi

# oha, the independent HTTP load generator of `just bench`.
_oha: _bench_tools
    #!/usr/bin/env bash
    set -euo pipefail
    if ! command -v oha >/dev/null 2>&1; then
        echo "installing oha {{ oha_version }} (about 6 minutes, once)"
        cargo install oha --version "{{ oha_version }}" --locked
    fi

# What the bench scripts use besides PostgreSQL's own tools.
_bench_tools:
    #!/usr/bin/env bash
    set -euo pipefail
    for tool in jq curl; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
                apt-get install -y -qq "$tool"
            else
                echo "$tool is missing; install it (e.g. apt-get install $tool)" >&2
                exit 1
            fi
        fi
    done

# Chromium and chromedriver for the browser tests (CHROMIUM and CHROMEDRIVER override
# where the tests look for them).
_chromium:
    #!/usr/bin/env bash
    set -euo pipefail
    chromium="${CHROMIUM:-/usr/bin/chromium}"
    chromedriver="${CHROMEDRIVER:-/usr/bin/chromedriver}"
    if [ -x "$chromium" ] && [ -x "$chromedriver" ]; then exit 0; fi
    # Debian's packages only help where the tests look by default.
    if [ -z "${CHROMIUM:-}${CHROMEDRIVER:-}" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Chromium or chromedriver not found; installing the Debian packages chromium and chromium-driver"
        apt-get update -qq
        # apt on these machines may drop downloaded archives between runs; one retry covers it.
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver \
            || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
        if [ -x "$chromium" ] && [ -x "$chromedriver" ]; then exit 0; fi
    fi
    echo "The browser tests need Chromium at $chromium and chromedriver at $chromedriver." >&2
    echo "Install them (Debian: sudo apt-get install chromium chromium-driver), or set CHROMIUM" >&2
    echo "and CHROMEDRIVER to a Chromium or Chrome and the chromedriver of the same version." >&2
    exit 1

# brotli, which precompresses the web app's files at build time (Debian's package).
_brotli:
    #!/usr/bin/env bash
    set -euo pipefail
    if command -v brotli >/dev/null 2>&1; then exit 0; fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "brotli not found; installing the Debian package brotli"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq brotli \
            || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq brotli
        if command -v brotli >/dev/null 2>&1; then exit 0; fi
    fi
    echo "Building the web app needs brotli (Debian: sudo apt-get install brotli)." >&2
    exit 1

# PostgreSQL server binaries for the embedded database and the tests.
_postgres:
    #!/usr/bin/env bash
    set -euo pipefail
    if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/initdb" ]; then exit 0; fi
    if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
        || { command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; } \
        || ls /opt/homebrew/opt/postgresql@*/bin/initdb /usr/local/opt/postgresql@*/bin/initdb >/dev/null 2>&1; then
        exit 0
    fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "PostgreSQL server binaries not found; installing the Debian package postgresql"
        apt-get update -qq
        # apt on these machines may drop downloaded archives between runs; one retry covers it.
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql \
            || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
        exit 0
    fi
    echo "PostgreSQL server binaries (initdb, postgres) are missing." >&2
    echo "Install them (Debian/Ubuntu: sudo apt-get install postgresql; macOS: brew install postgresql@16)," >&2
    echo "or set PG_BINDIR to the folder holding initdb, or set DATABASE_URL to an existing server." >&2
    exit 1

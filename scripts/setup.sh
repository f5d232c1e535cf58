#!/usr/bin/env bash
# Idempotent machine set-up for cellsim (Debian bookworm, root, rustup toolchain in ~/.cargo/bin).
#
#   1. Debian packages: a second Rust compiler able to build std for wasm32 (rustc-web,
#      cargo-web, rust-web-src), the wasm linker (lld: wasm-ld-14), binaryen (wasm-dis and
#      wasm-as: the module's functions put in name order), zopfli (the compressed module
#      `cellsim serve` sends), a headless browser for the playground tests (chromium,
#      chromium-driver), busybox-static (the node backend's built-in image), runc and crun
#      (the node backend's latency comparison, docs/benchmarks.md).
#      apt is skipped entirely when all of them are installed already.
#   2. rustfmt and clippy for the rustup toolchain, when missing.
#   3. wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock, when the installed
#      `wasm-bindgen --version` differs.
#
# Safe to re-run; a re-run on a set-up machine takes about a second.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# --- 1. Debian packages -------------------------------------------------------------------
# iproute2: `ip`, which the node backend's pod networking runs inside its namespaces.
APT_PACKAGES=(rustc-web cargo-web rust-web-src lld binaryen zopfli chromium chromium-driver busybox-static runc crun iproute2)
command -v node >/dev/null 2>&1 || APT_PACKAGES+=(nodejs)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
    say "apt packages present (${APT_PACKAGES[*]})"
else
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install ${missing[*]} by hand"
    SUDO=()
    ((EUID == 0)) || SUDO=(sudo)
    # Another apt/dpkg may hold the lock (e.g. a machine image still provisioning): wait for it.
    APT_OPTS=(-o DPkg::Lock::Timeout=900 -o Acquire::Retries=3)
    say "apt-get update"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" -qq update
    say "apt-get install ${missing[*]}"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" -qq -y install \
        "${APT_PACKAGES[@]}" >/tmp/cellsim-setup-apt.log 2>&1 \
        || { tail -n 30 /tmp/cellsim-setup-apt.log >&2; die "apt-get install failed (log: /tmp/cellsim-setup-apt.log)"; }
fi
[[ -x /usr/bin/rustc && -x /usr/bin/cargo ]] || die "/usr/bin/rustc or /usr/bin/cargo missing after apt (rustc-web, cargo-web)"
command -v wasm-ld-14 >/dev/null 2>&1 || die "wasm-ld-14 missing after apt (lld)"
[[ -x /bin/busybox ]] || die "/bin/busybox missing after apt (busybox-static): the node backend's built-in image needs it"

# --- 2. rustup components -----------------------------------------------------------------
command -v rustup >/dev/null 2>&1 || die "rustup not found in ~/.cargo/bin"
installed_components=$(rustup component list --installed 2>/dev/null || true)
want=()
for comp in rustfmt clippy; do
    grep -q "^${comp}" <<<"$installed_components" || want+=("$comp")
done
if ((${#want[@]} == 0)); then
    say "rustup components present (rustfmt clippy)"
else
    say "rustup component add ${want[*]}"
    rustup component add "${want[@]}"
fi

# --- 3. wasm-bindgen-cli, the version Cargo.lock names ------------------------------------
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[[ -n "$wb_version" ]] || die "no wasm-bindgen entry in Cargo.lock (sim-web pins wasm-bindgen = \"=X.Y.Z\")"
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [[ "$have" == "$wb_version" ]]; then
    say "wasm-bindgen-cli $wb_version present"
else
    say "cargo install wasm-bindgen-cli --version =$wb_version (found: ${have:-none}; takes a few minutes)"
    # Build outside the workspace, in cargo's own temporary target dir.
    (cd "$HOME" && env -u CARGO_TARGET_DIR -u CARGO_BUILD_TARGET_DIR \
        cargo install --quiet wasm-bindgen-cli --version "=$wb_version")
    have=$(wasm-bindgen --version | awk '{print $2}')
    [[ "$have" == "$wb_version" ]] || die "wasm-bindgen --version says $have, expected $wb_version"
fi

# --- tools the test script uses -------------------------------------------------------------
command -v node >/dev/null 2>&1 || die "node not found"
if command -v cargo-nextest >/dev/null 2>&1; then
    say "cargo-nextest present"
else
    say "cargo-nextest absent: scripts/test.sh falls back to cargo test"
fi
say "ok"

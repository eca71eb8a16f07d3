#!/usr/bin/env bash
# Runs the JMH suites and renders benchmarks/results/results.{md,png}.
#
#   benchmarks/run.sh                 short mode (1 fork, 2 x 1 s warm-up, 3 x 1 s measurement; ~6 min on 2 cores)
#   benchmarks/run.sh --full          full mode (2 forks, 5 x 2 s warm-up, 10 x 2 s measurement; ~1 h)
#   benchmarks/run.sh decision audit  only these suites (decision, audit, warrants, compile, governed, telemetry, suspension, windows, startup)
#   benchmarks/run.sh --compare governed audit   run into a temporary directory and print each figure beside the
#                                     committed one in benchmarks/results (rows more than 1.25x off are marked);
#                                     the committed results are left as they are
#
# Environment: JAVA (default: java on the PATH; the JMH forks use the same JVM), JAVA25 (a JDK 21+ for the
# suspension check on virtual threads; default the Temurin 25 JDK if installed), JMH_EXTRA (more JMH
# options for every suite, e.g. "-prof gc" or "-prof stack"), RESULTS (default benchmarks/results).
# Build first (under the shared lock): mvn -B -q -ntp -pl benchmarks -am package -DskipTests
# and the agent: mvn -B -q -ntp -pl javaagent -am package -DskipTests
set -euo pipefail
cd "$(dirname "$0")/.."

JAVA=${JAVA:-java}
JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
JAR=benchmarks/target/benchmarks.jar
AGENT=javaagent/target/magistrate-agent.jar
RESULTS=${RESULTS:-benchmarks/results}
JMH_EXTRA=${JMH_EXTRA:-}
MODE=short
COMPARE=false
COMMITTED=benchmarks/results
ALL_SUITES=(decision audit warrants compile governed telemetry suspension windows startup)
SUITES=()
for a in "$@"; do
  case "$a" in
    --full) MODE=full ;;
    --compare) COMPARE=true ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "unknown option: $a (see --help)" >&2; exit 2 ;;
    *)
      [[ " ${ALL_SUITES[*]} " == *" $a "* ]] || { echo "unknown suite: $a (see --help)" >&2; exit 2; }
      SUITES+=("$a") ;;
  esac
done
[ ${#SUITES[@]} -eq 0 ] && SUITES=("${ALL_SUITES[@]}")
ALL=false; [ ${#SUITES[@]} -eq ${#ALL_SUITES[@]} ] && ALL=true

for f in "$JAR" "$AGENT"; do
  [ -f "$f" ] || { echo "missing $f: build it first (see the head of $0)" >&2; exit 1; }
done

if [ "$MODE" = full ]; then
  TIMED="-f 2 -wi 5 -w 2s -i 10 -r 2s"; SHOTS="-f 2 -wi 10 -i 30 -w 2s -r 2s"; GOVERNED="-f 2 -wi 5 -w 2s -i 10 -r 2s"; CALLS=10000; TIMEOUT=30; STARTS=20
else
  TIMED="-f 1 -wi 2 -w 1s -i 3 -r 1s"; SHOTS="-f 1 -wi 3 -i 8 -w 1s -r 1s"; GOVERNED="-f 1 -wi 2 -w 2s -i 3 -r 2s"; CALLS=10000; TIMEOUT=20; STARTS=10
fi
CHRONICLE_ARGS="--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED -Dchronicle.analytics.disable=true"

if $COMPARE; then RESULTS=$(mktemp -d /tmp/magistrate-compare.XXXXXX); fi
mkdir -p "$RESULTS"
# A run of every suite replaces the whole result set; a run of some suites replaces only theirs.
if $ALL; then rm -f "$RESULTS"/*.jmh.json "$RESULTS"/suspension*.json "$RESULTS"/startup.json; fi
rm -f "$RESULTS"/results.md "$RESULTS"/results.png
MACHINE="$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, $("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.vm.name/ {n=$2} /java.runtime.version/ {v=$2} END {print n " " v}'), $(uname -sr), $(date -u '+%Y-%m-%d %H:%M UTC')"
if $ALL; then
  printf '%s\nmode: %s; command: benchmarks/run.sh %s\n' "$MACHINE" "$MODE" "$*" > "$RESULTS/machine.txt"
else
  printf 'rerun of %s (%s mode) on %s\n' "${SUITES[*]}" "$MODE" "$MACHINE" >> "$RESULTS/machine.txt"
fi
cat "$RESULTS/machine.txt"

jmh() { # suite-file regex options...
  local out=$1 regex=$2; shift 2
  echo "== $regex ($MODE)"
  # shellcheck disable=SC2086
  "$JAVA" -jar "$JAR" "$regex" -rf json -rff "$RESULTS/$out.jmh.json" "$@" $JMH_EXTRA
}

TMP=$(mktemp -d /tmp/magistrate-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

for s in "${SUITES[@]}"; do
  case "$s" in
    decision)
      jmh decision-baseline '\.DecisionBaselineBenchmark\.' $TIMED
      jmh decision '\.DecisionBenchmark\.' $TIMED ;;
    audit) jmh audit '\.AuditAppendBenchmark\.' $TIMED ;;
    windows) jmh windows '\.WindowBenchmark\.' $TIMED ;;
    warrants) jmh warrants '\.WarrantBenchmark\.' $TIMED ;;
    compile) jmh compile '\.CompileBenchmark\.' $SHOTS ;;
    governed)
      AGENT_ARGS=$("$JAVA" -Dmagistrate.agent.jar="$AGENT" -cp "$JAR" dev.magistrate.benchmarks.GovernedCallSetup "$TMP/governed")
      jmh governed '\.GovernedCallBenchmark\.' $GOVERNED -jvmArgsAppend "$AGENT_ARGS"
      jmh governed-threads '\.GovernedThreadsBenchmark\.' $GOVERNED -jvmArgsAppend "$AGENT_ARGS" ;;
    telemetry) jmh telemetry '\.TelemetryBenchmark\.' $TIMED ;;
    suspension)
      echo "== SuspensionCheck ($CALLS calls)"
      # shellcheck disable=SC2086
      "$JAVA" $CHRONICLE_ARGS -cp "$JAR" dev.magistrate.benchmarks.SuspensionCheck "$CALLS" "$TIMEOUT" "$RESULTS/suspension.json"
      if [ -x "$JAVA25" ]; then
        echo "== SuspensionCheck ($CALLS calls, $JAVA25, virtual threads)"
        # shellcheck disable=SC2086
        "$JAVA25" $CHRONICLE_ARGS --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -cp "$JAR" \
          dev.magistrate.benchmarks.SuspensionCheck "$CALLS" "$TIMEOUT" "$RESULTS/suspension-virtual.json"
      fi ;;
    startup)
      echo "== StartupCheck ($STARTS starts with and $STARTS without the agent, each of: a main that returns; one governed call)"
      "$JAVA" -cp "$JAR" dev.magistrate.benchmarks.StartupCheck "$AGENT" "$STARTS" "$TMP/startup" "$RESULTS/startup.json" ;;
  esac
done

"$JAVA" -Djava.awt.headless=true -cp "$JAR" dev.magistrate.benchmarks.report.ReportRenderer "$RESULTS"
if $COMPARE; then
  # The results as committed at HEAD, not as a later run may have left the working tree.
  if git rev-parse --git-dir >/dev/null 2>&1; then
    git archive HEAD "$COMMITTED" | tar -x -C "$TMP" && COMMITTED="$TMP/$COMMITTED"
  fi
  echo "== this run ($RESULTS) against $COMMITTED"
  "$JAVA" -cp "$JAR" dev.magistrate.benchmarks.report.ResultsComparison "$COMMITTED" "$RESULTS"
fi
